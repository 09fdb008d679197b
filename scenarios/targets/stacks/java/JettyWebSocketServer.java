import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.WriteCallback;
import org.eclipse.jetty.websocket.api.annotations.OnWebSocketClose;
import org.eclipse.jetty.websocket.api.annotations.OnWebSocketConnect;
import org.eclipse.jetty.websocket.api.annotations.WebSocket;
import org.eclipse.jetty.websocket.servlet.WebSocketServlet;
import org.eclipse.jetty.websocket.servlet.WebSocketServletFactory;

/**
 * Jetty 9.4's own WebSocket API (org.eclipse.jetty.websocket.api, not
 * JSR 356) behind a WebSocketServlet, one channel.
 *
 * <pre>
 *   POST /publish   the body is one message; 204 once it is handed to every socket
 *   GET  /ws        WebSocket: one text frame per message, the body as published
 *   GET  /ready     204
 * </pre>
 *
 * Written as Jetty's WebSocket documentation shows it: an annotated
 * @WebSocket class that the servlet's factory creates per connection, the
 * open sessions kept in a set, and a publish that sends the text to every
 * session with RemoteEndpoint.sendString(text, callback) (the non-blocking
 * send: a slow client's frames queue in its own connection). Jetty's
 * defaults: its QueuedThreadPool (8 to 200 threads) runs the requests and
 * the sockets' callbacks; no messages are kept, so there is no resume.
 */
public final class JettyWebSocketServer {
    private static final Set<Session> SESSIONS = ConcurrentHashMap.newKeySet();

    /** One subscriber: joins the set when open, leaves it when closed. */
    @WebSocket
    public static final class Subscriber {
        @OnWebSocketConnect
        public void onConnect(Session session) {
            SESSIONS.add(session);
        }

        @OnWebSocketClose
        public void onClose(Session session, int status, String reason) {
            SESSIONS.remove(session);
        }
    }

    /** The upgrade on /ws. */
    public static final class SubscribeServlet extends WebSocketServlet {
        @Override
        public void configure(WebSocketServletFactory factory) {
            factory.register(Subscriber.class);
        }
    }

    /** Sends the body as a text frame to every open session. */
    public static final class PublishServlet extends HttpServlet {
        private static final WriteCallback IGNORE = new WriteCallback() {
            @Override
            public void writeFailed(Throwable x) {} // the close handler removes the session

            @Override
            public void writeSuccess() {}
        };

        @Override
        protected synchronized void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            // synchronized: one publish at a time, so that every session
            // gets the messages in publish order.
            String text = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            for (Session s : SESSIONS) {
                if (s.isOpen()) {
                    s.getRemote().sendString(text, IGNORE);
                }
            }
            resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
        }
    }

    /** 204 once the server is started. */
    public static final class ReadyServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) {
            resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
        }
    }

    public static void main(String[] args) throws Exception {
        Flags flags = new Flags(args);
        if (flags.has("version")) {
            System.out.println("jetty " + Server.class.getPackage().getImplementationVersion() + ", " + Flags.java());
            return;
        }
        int port = flags.integer("port", 8080);
        int heartbeat = flags.integer("heartbeat", 15);

        Server server = new Server(new QueuedThreadPool()); // Jetty's default pool
        ServerConnector http = new ServerConnector(server);
        http.setHost("127.0.0.1");
        http.setPort(port);
        server.addConnector(http);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        context.addServlet(new ServletHolder(new SubscribeServlet()), "/ws");
        context.addServlet(new ServletHolder(new PublishServlet()), "/publish");
        context.addServlet(new ServletHolder(new ReadyServlet()), "/ready");
        server.setHandler(context);

        // A ping frame to every session every heartbeat (Jetty sends none by
        // itself), so idle sockets outlive proxies' idle timeouts and
        // Jetty's own WebSocket idle timeout (5 minutes by default).
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ws-heartbeat");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> {
            for (Session s : SESSIONS) {
                try {
                    s.getRemote().sendPing(ByteBuffer.allocate(0));
                } catch (IOException | RuntimeException e) {
                    // closing: the close handler removes it
                }
            }
        }, heartbeat, heartbeat, TimeUnit.SECONDS);

        server.start();
        server.join();
    }
}
