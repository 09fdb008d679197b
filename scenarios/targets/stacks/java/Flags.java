import java.util.HashMap;
import java.util.Map;

/** Command-line flags of the form --name=value (or --name alone). */
final class Flags {
    private final Map<String, String> values = new HashMap<>();

    Flags(String[] args) {
        for (String a : args) {
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("not a flag: " + a);
            }
            int eq = a.indexOf('=');
            if (eq < 0) {
                values.put(a.substring(2), "");
            } else {
                values.put(a.substring(2, eq), a.substring(eq + 1));
            }
        }
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    int integer(String name, int dflt) {
        String v = values.get(name);
        return v == null ? dflt : Integer.parseInt(v);
    }

    /** The JVM's version as `java -version` names it, e.g. "OpenJDK 17.0.15". */
    static String java() {
        String vm = System.getProperty("java.runtime.name", "Java");
        if (vm.startsWith("OpenJDK")) {
            vm = "OpenJDK";
        }
        return vm + " " + Runtime.version().version().stream().map(String::valueOf).reduce((a, b) -> a + "." + b).orElse("?");
    }
}
