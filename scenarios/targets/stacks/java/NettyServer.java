import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.Version;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Netty 4.1: SSE and WebSocket from one pipeline, one channel.
 *
 * <pre>
 *   POST /publish   the body is one message; kept as bytes, 204
 *   GET  /events    SSE over HTTP/1.1 chunked: "id: N" and "data: BODY";
 *                   Last-Event-ID resumes
 *   GET  /ws        WebSocket (WebSocketServerProtocolHandler): one text
 *                   frame per message, the body as it was published
 *   GET  /ready     204
 * </pre>
 *
 * Written the way Netty's examples are: HttpServerCodec and
 * HttpObjectAggregator, WebSocketServerProtocolHandler in front of one
 * handler that routes the rest, and a ChannelGroup per transport that a
 * publish writes to (a group write hands each channel its own duplicate
 * of one buffer, on that channel's event loop). Netty's defaults: a boss
 * loop accepting, and 2 x cores worker event loops serving every
 * connection.
 */
public final class NettyServer {
    /** Messages kept for resuming SSE clients: 60 s at 2,000 msg/s. */
    static final int RING = 120_000;

    private final MessageRing ring = new MessageRing(RING);
    private final ChannelGroup streams = new DefaultChannelGroup("sse", GlobalEventExecutor.INSTANCE);
    private final ChannelGroup sockets = new DefaultChannelGroup("websocket", GlobalEventExecutor.INSTANCE);

    /** Keeps body and sends it to every SSE stream and WebSocket. */
    void publish(byte[] body) {
        synchronized (ring) {
            long id = ring.add(body);
            streams.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(ring.sseEvent(id))));
            sockets.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(body)));
        }
    }

    /** Opens an SSE stream on ch, replaying what a Last-Event-ID names. */
    void subscribe(ChannelHandlerContext ctx, FullHttpRequest req) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        HttpUtil.setTransferEncodingChunked(head, true);
        String lastEventId = req.headers().get("Last-Event-ID");
        synchronized (ring) {
            // The replay is written before the channel joins the group, and
            // both under the ring's monitor: every later publish follows it.
            ctx.write(head);
            if (lastEventId != null) {
                for (long id : ring.idsAfter(ring.cursor(lastEventId))) {
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(ring.sseEvent(id))));
                }
            }
            streams.add(ctx.channel());
        }
        ctx.flush();
    }

    /** Routes every HTTP request that is not the WebSocket upgrade. */
    final class Router extends SimpleChannelInboundHandler<Object> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpRequest)) {
                return; // a client's WebSocket frame: subscribers only listen
            }
            FullHttpRequest req = (FullHttpRequest) msg;
            String path = new QueryStringDecoder(req.uri()).path();
            if (path.equals("/publish") && req.method().equals(HttpMethod.POST)) {
                publish(ByteBufUtil.getBytes(req.content()));
                respond(ctx, req, HttpResponseStatus.NO_CONTENT);
            } else if (path.equals("/events") && req.method().equals(HttpMethod.GET)) {
                subscribe(ctx, req);
            } else if (path.equals("/ready")) {
                respond(ctx, req, HttpResponseStatus.NO_CONTENT);
            } else {
                respond(ctx, req, HttpResponseStatus.NOT_FOUND);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                sockets.add(ctx.channel());
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset connection: the groups forget closed channels
        }

        private void respond(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status) {
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
            HttpUtil.setContentLength(resp, 0);
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(resp, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(resp);
            } else {
                ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Flags flags = new Flags(args);
        if (flags.has("version")) {
            Version v = Version.identify().get("netty-codec-http");
            System.out.println("netty " + (v == null ? "unknown" : v.artifactVersion()) + ", " + Flags.java());
            return;
        }
        int port = flags.integer("port", 8080);
        int heartbeat = flags.integer("heartbeat", 15);
        NettyServer server = new NettyServer();

        EventLoopGroup boss = new NioEventLoopGroup(1);
        EventLoopGroup workers = new NioEventLoopGroup(); // Netty's default: 2 x cores
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(
                                new HttpServerCodec(),
                                // A published message up to 1 MiB in one request.
                                new HttpObjectAggregator(1 << 20),
                                // The upgrade on /ws, then close and ping
                                // frames; other requests pass through.
                                new WebSocketServerProtocolHandler("/ws"),
                                server.new Router());
                    }
                });
        // Every heartbeat: an SSE comment on every stream and a ping frame
        // on every WebSocket (Netty sends neither by itself), so idle
        // connections outlive proxies' idle timeouts.
        workers.scheduleAtFixedRate(() -> {
            ByteBuf comment = Unpooled.copiedBuffer(": hb\n\n", StandardCharsets.US_ASCII);
            server.streams.writeAndFlush(new DefaultHttpContent(comment));
            server.sockets.writeAndFlush(new PingWebSocketFrame());
        }, heartbeat, heartbeat, TimeUnit.SECONDS);

        Channel ch = b.bind("127.0.0.1", port).sync().channel();
        ch.closeFuture().sync();
    }
}
