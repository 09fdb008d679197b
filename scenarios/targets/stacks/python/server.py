"""A Tornado push server: SSE, long poll, short poll and WebSocket on one port.

Written the way Tornado's own guide and demos serve push (the chat demo's
message buffer with a Condition and a cursor, RequestHandler.flush for a
stream, tornado.websocket for frames), with Tornado's defaults. One
process, one event loop, one channel.

    POST /publish    the body is one message; kept verbatim, answered 204
    GET  /events     SSE: "id: N" and "data: <body>"; Last-Event-ID resumes
    GET  /longpoll   held until a message after ?since=N (or the next one)
    GET  /poll       answered at once: the messages after ?since=N
    GET  /ws         WebSocket: one text frame per message
    GET  /ready      204

Poll answers are {"cursor":N,"messages":[<body>,...]}: the bodies are
written into the array byte for byte, never re-encoded, and cursor is the
id of the last message the answer covers (ask again with ?since=cursor).
Ids count messages from 1 and are the SSE event ids too.
"""

import argparse
import asyncio
import datetime
import resource

import tornado.ioloop
import tornado.iostream
import tornado.locks
import tornado.web
import tornado.websocket


class MessageBuffer:
    """The last `size` messages with their ids, and a Condition that wakes
    every waiting stream and poll when one is added."""

    def __init__(self, size):
        self.size = size
        self.first = 1  # id of self.messages[0]
        self.messages = []
        self.cond = tornado.locks.Condition()

    @property
    def last(self):
        return self.first + len(self.messages) - 1

    def add(self, body):
        self.messages.append(body)
        # Trim in batches so an add costs O(1) on average.
        if len(self.messages) >= 2 * self.size:
            drop = len(self.messages) - self.size
            del self.messages[:drop]
            self.first += drop
        self.cond.notify_all()

    def since(self, cursor):
        """The messages after id cursor (from the oldest kept when cursor
        is older than the buffer; none when it is ahead of it)."""
        start = max(cursor + 1 - self.first, 0)
        return self.messages[start:]

    def cursor(self, value):
        """The cursor a request names, or the newest id when it names none
        or one this server never gave (a restart)."""
        try:
            c = int(value)
        except (TypeError, ValueError):
            return self.last
        return c if 0 <= c <= self.last else self.last


class PublishHandler(tornado.web.RequestHandler):
    def post(self):
        body = self.request.body
        self.application.buffer.add(body)
        text = body.decode("utf-8")
        for ws in list(self.application.sockets):
            # Tornado's chat demo: write_message to every socket, not
            # awaiting: a slow client's frames wait in its own buffer.
            try:
                ws.write_message(text)
            except tornado.websocket.WebSocketClosedError:
                pass
        self.set_status(204)


class EventsHandler(tornado.web.RequestHandler):
    async def get(self):
        buf = self.application.buffer
        heartbeat = self.application.settings["heartbeat"]
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        cursor = buf.cursor(self.request.headers.get("Last-Event-ID"))
        try:
            await self.flush()  # the headers, so the client is connected
            while True:
                messages = buf.since(cursor)
                if messages:
                    first = max(cursor + 1, buf.first)
                    for i, body in enumerate(messages):
                        self.write(b"id: %d\ndata: %s\n\n" % (first + i, body))
                    cursor = first + len(messages) - 1
                    await self.flush()
                elif not await buf.cond.wait(timeout=datetime.timedelta(seconds=heartbeat)):
                    self.write(b": hb\n\n")  # a comment: keeps idle proxies open
                    await self.flush()
        except tornado.iostream.StreamClosedError:
            pass


class PollHandler(tornado.web.RequestHandler):
    """A short poll: the messages after ?since=N now, maybe none."""

    def answer(self, cursor):
        buf = self.application.buffer
        messages = buf.since(cursor)
        if messages:
            cursor = buf.last
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-cache")
        self.write(b'{"cursor":%d,"messages":[%s]}' % (cursor, b",".join(messages)))

    def get(self):
        self.answer(self.application.buffer.cursor(self.get_argument("since", None)))


class LongPollHandler(PollHandler):
    """A long poll: as the short poll, but held until there is a message
    after the cursor or the hold ends (then an empty array, so the
    client keeps its cursor)."""

    async def get(self):
        buf = self.application.buffer
        cursor = buf.cursor(self.get_argument("since", None))
        if not buf.since(cursor):
            self.waiter = buf.cond.wait(timeout=datetime.timedelta(seconds=self.application.settings["hold"]))
            try:
                await self.waiter
            except asyncio.CancelledError:
                return  # the client left
        self.answer(cursor)

    def on_connection_close(self):
        # The chat demo's way: stop waiting for a client that left.
        waiter = getattr(self, "waiter", None)
        if waiter is not None:
            waiter.cancel()


class SocketHandler(tornado.websocket.WebSocketHandler):
    def open(self):
        self.application.sockets.add(self)

    def on_close(self):
        self.application.sockets.discard(self)

    def on_message(self, message):
        pass  # subscribers only listen


class ReadyHandler(tornado.web.RequestHandler):
    def get(self):
        self.set_status(204)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--heartbeat", type=float, default=15, help="seconds between keep-alives on an idle stream")
    p.add_argument("--hold", type=float, default=30, help="seconds a long poll is held")
    p.add_argument("--buffer", type=int, default=120000, help="messages kept for resuming clients")
    args = p.parse_args()
    # A process starts with a soft limit of 1024 open files (a service
    # unit would set LimitNOFILE): raise it to the hard limit, as a
    # server meant for many connections is deployed.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    app = tornado.web.Application(
        [
            (r"/publish", PublishHandler),
            (r"/events", EventsHandler),
            (r"/longpoll", LongPollHandler),
            (r"/poll", PollHandler),
            (r"/ws", SocketHandler),
            (r"/ready", ReadyHandler),
        ],
        heartbeat=args.heartbeat,
        hold=args.hold,
        # Tornado sends no WebSocket pings unless told: one per heartbeat.
        websocket_ping_interval=args.heartbeat,
    )
    app.buffer = MessageBuffer(args.buffer)
    app.sockets = set()
    app.listen(args.port, address="127.0.0.1")
    tornado.ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
