package dev.graceful.runtime.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Settings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.ShutdownEvent;
import io.vertx.core.net.impl.VertxHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What the drain does to one Netty channel of a Vert.x server, in one place. Netty's public API where it can (HTTP/2
 * frames); two Vert.x 5.0.7 internals where it must: the pipeline's {@code "handler"}, a {@link VertxHandler} whose
 * connection tells HTTP/1.x from a connection whose protocol is not known yet, and the {@link ShutdownEvent} that
 * {@code NetServer.shutdown} sends each of its channels. {@code VertxInternalsTest} pins both: a Vert.x upgrade that
 * changes them fails the build.
 */
final class VertxChannels {

  /** What a channel of a server carries, as far as the drain is concerned. */
  enum Protocol {
    /** HTTP/1.x: told with {@code Connection: close}, closed by Vert.x once its current response is done. */
    HTTP_1,
    /** HTTP/2 (gRPC too): told with GOAWAY, closed by Vert.x once its streams are done. */
    HTTP_2,
    /** An HTTP server's connection whose first bytes have not arrived: no request can be in flight on it. */
    HTTP_UNDETECTED,
    /** A WebSocket: closing it sends the close frame and waits for the client's (Vert.x's closing handshake). */
    WEBSOCKET,
    /** A NetServer's socket: the application's own protocol; Vert.x's shutdown calls its shutdownHandler. */
    TCP
  }

  /** The PING payload that marks the shutdown's round trip. */
  private static final long SHUTDOWN_PING = 0x67726163_65667546L;

  private VertxChannels() {
  }

  /** Must run on the channel's event loop, where Vert.x changes the pipeline. */
  static Protocol protocol(Channel channel, boolean httpServer) {
    ChannelHandler handler = channel.pipeline().get("handler");
    if (handler instanceof Http2ConnectionHandler) {
      return Protocol.HTTP_2;
    }
    Object connection = handler instanceof VertxHandler<?> vertx ? vertx.getConnection() : null;
    if (connection instanceof HttpConnection) {
      return Protocol.HTTP_1;
    }
    if (!httpServer) {
      return Protocol.TCP;
    }
    // An HTTP server starts every connection as a NetSocket and swaps the handler once it knows the protocol; what
    // is neither that nor HTTP is an upgraded WebSocket.
    return connection == null || connection instanceof NetSocket ? Protocol.HTTP_UNDETECTED : Protocol.WEBSOCKET;
  }

  /**
   * Announces the shutdown on an HTTP/2 channel (gRPC too), with Netty's public API: a GOAWAY with the largest stream
   * id (no stream the client has sent or is sending is refused), then a PING; completes when its ACK arrives, which
   * proves the client has read the GOAWAY, or when the channel closes. Event loop only.
   */
  static Future<Void> announceHttp2(Channel channel) {
    Http2ConnectionHandler handler = channel.pipeline().get(Http2ConnectionHandler.class);
    ChannelHandlerContext ctx = handler == null ? null : channel.pipeline().context(handler);
    if (ctx == null) {
      return Future.succeededFuture();
    }
    Promise<Void> acked = Promise.promise();
    channel.closeFuture().addListener(f -> acked.tryComplete());
    handler.decoder().frameListener(new ShutdownPingListener(handler.decoder(), handler.decoder().frameListener(), acked));
    try {
      handler.goAway(ctx, Integer.MAX_VALUE, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER, ctx.newPromise());
      handler.encoder().writePing(ctx, false, SHUTDOWN_PING, ctx.newPromise());
      ctx.flush();
    } catch (RuntimeException closing) {
      acked.tryComplete();
    }
    return acked.future();
  }

  /**
   * Reads the ACK of the shutdown's PING ahead of Vert.x's frame listener, and keeps it from Vert.x (whose own pings
   * are answered in order: ours would complete an application's ping). Vert.x swaps its listener once the client's
   * first SETTINGS arrive; this one then puts itself in front of the new one.
   */
  private static final class ShutdownPingListener extends Http2FrameListenerDecorator {

    private final Http2ConnectionDecoder decoder;
    private final Promise<Void> acked;

    ShutdownPingListener(Http2ConnectionDecoder decoder, Http2FrameListener vertx, Promise<Void> acked) {
      super(vertx);
      this.decoder = decoder;
      this.acked = acked;
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) throws Http2Exception {
      if (data == SHUTDOWN_PING) {
        acked.tryComplete();
      } else {
        super.onPingAckRead(ctx, data);
      }
    }

    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) throws Http2Exception {
      Http2FrameListener before = decoder.frameListener();
      super.onSettingsRead(ctx, settings);
      Http2FrameListener now = decoder.frameListener();
      if (now != before) { // a listener after this one swapped itself (not one that wraps this one)
        decoder.frameListener(new ShutdownPingListener(decoder, now, acked));
      }
    }
  }

  /**
   * Starts Vert.x's own graceful close of the channel, as {@code NetServer.shutdown(timeout)} does for its channels:
   * HTTP/1.x closes after the response in progress, HTTP/2 sends GOAWAY and closes when its streams end, a NetSocket's
   * shutdownHandler is called. Vert.x closes what is left after {@code timeout}.
   */
  static void shutdown(Channel channel, Duration timeout) {
    channel.pipeline().fireUserEventTriggered(new ShutdownEvent(timeout.toMillis(), TimeUnit.MILLISECONDS));
  }
}
