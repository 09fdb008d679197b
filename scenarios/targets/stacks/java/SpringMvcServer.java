import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.servlet.AsyncContext;
import javax.servlet.AsyncEvent;
import javax.servlet.AsyncListener;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.support.AnnotationConfigWebApplicationContext;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Spring MVC 4.3 on embedded Jetty 9.4: SSE with SseEmitter and a servlet 3
 * async long poll, one channel.
 *
 * <pre>
 *   POST /publish          the body is one message; kept as bytes, 204
 *   GET  /events           SseEmitter: "id:N" and "data:BODY"; Last-Event-ID resumes
 *   GET  /longpoll?since=N a plain HttpServlet with AsyncContext, held until a
 *                          message after N or the hold ends (204)
 *   GET  /ready            204
 * </pre>
 *
 * Written as Spring's reference guide shows SseEmitter: the controller
 * returns a new emitter per request and keeps it in a list, and publish
 * sends the event to every emitter in the list from the publishing
 * request's thread. Spring is wired with a DispatcherServlet over an
 * annotation-config context (the controller and the @RequestMapping
 * handler mapping and adapter as beans) on Jetty's ServletContextHandler,
 * Jetty's thread pool with its defaults.
 */
public final class SpringMvcServer {
    /** Messages kept for resuming clients: 60 s at 2,000 msg/s. */
    static final int RING = 120_000;
    /** Messages in one long-poll answer at most (pushbench's own bound). */
    static final int POLL_MAX = 1000;

    /** What the command line sets for the beans. */
    record Settings(int heartbeatSeconds, int holdSeconds) {}

    @RestController
    static class EventsController {
        private final MessageRing ring;
        private final LongPollServlet longPoll;
        private final List<SseEmitter> emitters = new CopyOnWriteArrayList<>();

        EventsController(MessageRing ring, LongPollServlet longPoll, Settings settings) {
            int heartbeatSeconds = settings.heartbeatSeconds();
            this.ring = ring;
            this.longPoll = longPoll;
            // A comment on every stream every heartbeat, so that idle
            // streams outlive Jetty's idle timeout and proxies' timeouts.
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "sse-heartbeat");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleAtFixedRate(() -> sendAll(SseEmitter.event().comment("hb")),
                    heartbeatSeconds, heartbeatSeconds, TimeUnit.SECONDS);
        }

        @GetMapping("/events")
        public SseEmitter events(@RequestHeader(value = "Last-Event-ID", required = false) String lastEventId)
                throws IOException {
            // 0: no timeout. Without one the servlet container's async
            // timeout applies (Jetty's is 30 s) and ends every stream.
            SseEmitter emitter = new SseEmitter(0L);
            emitter.onCompletion(() -> emitters.remove(emitter));
            emitter.onTimeout(() -> emitters.remove(emitter));
            synchronized (ring) {
                // What the client missed, then every publish after it: the
                // ring's monitor orders the two.
                if (lastEventId != null) {
                    for (long id : ring.idsAfter(ring.cursor(lastEventId))) {
                        emitter.send(event(id));
                    }
                }
                emitters.add(emitter);
            }
            return emitter;
        }

        @PostMapping("/publish")
        public ResponseEntity<Void> publish(@RequestBody byte[] body) {
            synchronized (ring) {
                long id = ring.add(body);
                sendAll(event(id));
                longPoll.wake();
            }
            return ResponseEntity.noContent().build();
        }

        @GetMapping("/ready")
        public ResponseEntity<Void> ready() {
            return ResponseEntity.noContent().build();
        }

        /** The event for message id: its bytes as the data, unchanged. */
        private SseEmitter.SseEventBuilder event(long id) {
            return SseEmitter.event().id(Long.toString(id)).data(ring.get(id), MediaType.APPLICATION_JSON);
        }

        private void sendAll(SseEmitter.SseEventBuilder event) {
            List<SseEmitter> dead = new ArrayList<>();
            for (SseEmitter emitter : emitters) {
                try {
                    emitter.send(event);
                } catch (IOException | IllegalStateException e) {
                    // The client left (or the stream already ended).
                    dead.add(emitter);
                }
            }
            if (!dead.isEmpty()) {
                emitters.removeAll(dead);
                for (SseEmitter emitter : dead) {
                    try {
                        emitter.complete(); // ends the async request
                    } catch (IllegalStateException e) {
                        // already completed
                    }
                }
            }
        }
    }

    /**
     * The long poll: a servlet 3 async request per poll, parked until
     * publish wakes it or the hold ends. Its answer is
     * {"cursor":N,"messages":[...]} with at most POLL_MAX messages, the
     * bytes as published.
     */
    static final class LongPollServlet extends HttpServlet {
        private final MessageRing ring;
        private final long holdMillis;
        /** Parked polls and their cursors; guarded by the ring's monitor. */
        private Map<AsyncContext, Long> parked = new LinkedHashMap<>();

        LongPollServlet(MessageRing ring, int holdSeconds) {
            this.ring = ring;
            this.holdMillis = holdSeconds * 1000L;
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            synchronized (ring) {
                long cursor = ring.cursor(req.getParameter("since"));
                if (ring.hasAfter(cursor)) {
                    answer(resp, ring.pollAnswer(cursor, POLL_MAX));
                    return;
                }
                AsyncContext ac = req.startAsync();
                ac.setTimeout(holdMillis);
                ac.addListener(new AsyncListener() {
                    @Override
                    public void onTimeout(AsyncEvent e) throws IOException {
                        synchronized (ring) {
                            if (forget(ac)) {
                                resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
                                ac.complete();
                            }
                        }
                    }

                    @Override
                    public void onError(AsyncEvent e) {
                        synchronized (ring) {
                            forget(ac);
                        }
                    }

                    @Override
                    public void onComplete(AsyncEvent e) {
                        synchronized (ring) {
                            forget(ac);
                        }
                    }

                    @Override
                    public void onStartAsync(AsyncEvent e) {}
                });
                parked.put(ac, cursor);
            }
        }

        /** Whether ac was parked (and is no longer). */
        private boolean forget(AsyncContext ac) {
            return parked.remove(ac) != null;
        }

        /** Answers every parked poll; the caller holds the ring's monitor. */
        void wake() {
            // complete() may run the poll's onComplete listener on this
            // thread, which forgets it: iterate over the polls taken out.
            Map<AsyncContext, Long> woken = parked;
            parked = new LinkedHashMap<>();
            for (Map.Entry<AsyncContext, Long> p : woken.entrySet()) {
                AsyncContext ac = p.getKey();
                try {
                    answer((HttpServletResponse) ac.getResponse(), ring.pollAnswer(p.getValue(), POLL_MAX));
                } catch (IOException | IllegalStateException e) {
                    // the client left
                }
                try {
                    ac.complete();
                } catch (IllegalStateException e) {
                    // already completed
                }
            }
        }

        private static void answer(HttpServletResponse resp, byte[] body) throws IOException {
            resp.setStatus(HttpServletResponse.SC_OK);
            resp.setContentType("application/json");
            resp.setHeader("Cache-Control", "no-cache");
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
        }
    }

    public static void main(String[] args) throws Exception {
        Flags flags = new Flags(args);
        if (flags.has("version")) {
            System.out.println("spring-webmvc " + DispatcherServlet.class.getPackage().getImplementationVersion()
                    + ", jetty " + Server.class.getPackage().getImplementationVersion() + ", " + Flags.java());
            return;
        }
        int port = flags.integer("port", 8080);
        Settings settings = new Settings(flags.integer("heartbeat", 15), flags.integer("hold", 30));
        MessageRing ring = new MessageRing(RING);
        LongPollServlet longPoll = new LongPollServlet(ring, settings.holdSeconds());

        AnnotationConfigWebApplicationContext spring = new AnnotationConfigWebApplicationContext();
        // What @EnableWebMvc (or <mvc:annotation-driven/>) would declare,
        // declared as beans: the @RequestMapping handler mapping and
        // adapter, the adapter with its default message converters (bytes
        // and strings as they are). @EnableWebMvc itself cannot be used
        // with Debian's spring-core 4.3.30-2: every @Configuration class is
        // subclassed with CGLIB, and Debian's build of Spring's CGLIB asks
        // its repackaged ASM 6 for the ASM 7 API (IllegalArgumentException
        // in org.springframework.asm.ClassVisitor.<init>). Without either,
        // DispatcherServlet would fall back to its deprecated 3.x defaults.
        spring.register(RequestMappingHandlerMapping.class, RequestMappingHandlerAdapter.class, EventsController.class);
        spring.addBeanFactoryPostProcessor(bf -> {
            bf.registerSingleton("ring", ring);
            bf.registerSingleton("longPoll", longPoll);
            bf.registerSingleton("settings", settings);
        });

        // Jetty's defaults: a QueuedThreadPool of 8 to 200 threads serves
        // every request; a stream or a parked poll holds no thread between
        // writes (servlet async), a write holds the writer's.
        Server server = new Server(new QueuedThreadPool());
        ServerConnector http = new ServerConnector(server);
        http.setHost("127.0.0.1");
        http.setPort(port);
        // Jetty closes a connection idle for 30 s by default, an open SSE
        // stream or a parked long poll included: at least two heartbeats
        // and the hold with a margin.
        http.setIdleTimeout(1000L * Math.max(30, Math.max(2 * settings.heartbeatSeconds(), settings.holdSeconds() + 15)));
        server.addConnector(http);

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        ServletHolder dispatcher = new ServletHolder("dispatcher", new DispatcherServlet(spring));
        dispatcher.setAsyncSupported(true); // SseEmitter needs servlet async
        dispatcher.setInitOrder(1); // Spring starts with Jetty, before /ready answers
        context.addServlet(dispatcher, "/");
        ServletHolder poll = new ServletHolder("longpoll", longPoll);
        poll.setAsyncSupported(true);
        context.addServlet(poll, "/longpoll");
        server.setHandler(context);
        server.start();
        server.join();
    }
}
