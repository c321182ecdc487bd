package dev.graceful.runtime.server;

import dev.graceful.runtime.config.ServerLimits;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.net.impl.ShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * Protections for one HTTP connection of any server, whoever opened it, against hostile or careless clients. Vert.x
 * 5.0.7 (Netty 4.2.9) lacks three of them:
 * <ul>
 *   <li><b>HTTP/2 streams bounded from the first frame.</b> Netty applies the server's advertised
 *   {@code MAX_CONCURRENT_STREAMS} only once the client acknowledges the server's SETTINGS; a client that never does
 *   opened 20,000 requests on one connection and ran the JVM out of memory. The guard sets the limit on the
 *   connection as soon as the HTTP/2 handler exists, before it decodes a single frame; streams past it are refused
 *   (RST_STREAM REFUSED_STREAM), as RFC 9113 5.1.2 allows.</li>
 *   <li><b>A request-head timeout</b> (slowloris): an HTTP/1.x request head, or a TLS handshake, not complete
 *   {@code requestHeaderTimeout} after its first byte closes the connection. Not applied to HTTP/2 (its clients
 *   ping idle connections) or to upgraded connections (WebSockets, tunnels).</li>
 *   <li><b>Unambiguous framing</b> (RFC 9112 6.3, request smuggling): an HTTP/1.x request with both
 *   {@code Content-Length} and {@code Transfer-Encoding}, or a transfer coding other than {@code chunked}, is answered
 *   400 and its connection closed.</li>
 * </ul>
 * A front handler (first in the pipeline, it sees the raw bytes) installs the inner one just before Vert.x's
 * {@code handler} (after the HTTP codec, where it sees decoded requests and raw HTTP/2 bytes), or after the
 * {@link SslHandler} until the handshake has configured the pipeline. Being where it is, the inner handler also shows
 * the drain each HTTP/1.x request and its answer ({@link TrackedConnection}) and hands an HTTP/2 connection to
 * {@link Http2Requests} before its first frame.
 */
final class ConnectionGuard {

  private static final Logger LOG = Logger.getLogger(ConnectionGuard.class.getName());

  /** What the guards have refused, for the metrics. */
  static final class Counts {
    final LongAdder headerTimeouts = new LongAdder();
    final LongAdder ambiguousFraming = new LongAdder();
  }

  private enum Protocol { UNKNOWN, HTTP1, HTTP2 }

  private static final String HTTP_DECODER = "httpDecoder";

  private final ServerLimits limits;
  private final io.vertx.core.http.HttpServerOptions options;
  private final int streamLimit;
  private final Counts counts;
  private Protocol protocol = Protocol.UNKNOWN;
  /** HTTP/1.x requests whose head has arrived and whose response has not ended. */
  private int pending;
  /** When the first byte of the head being timed arrived ({@link System#nanoTime}), or {@link #NOT_TIMING}. */
  private long headSince = NOT_TIMING;
  /** The connection's one head-timeout check, or null: it outlives the heads it times (see {@link #armHeadTimer}). */
  private ScheduledFuture<?> headTimer;
  private boolean rejected;
  private boolean sawHead;
  /**
   * Vert.x 5.0.7 discards every request head it reads after a request that does not keep the connection alive, or
   * once it was told to shut the connection down ({@code Http1xServerConnection.handleMessage}), and reads on: such
   * heads are never answered, so they are not in flight (tracking them let one connection grow the set without bound),
   * only counted.
   */
  private boolean vertxDiscardsHeads;
  /** The connection's state for the drain, found at its first request; null for a connection no server tracks. */
  private TrackedConnection tracked;

  private static final long NOT_TIMING = Long.MIN_VALUE;

  private ConnectionGuard(ServerLimits limits, io.vertx.core.http.HttpServerOptions options, int streamLimit, Counts counts) {
    this.limits = limits;
    this.options = options;
    this.streamLimit = streamLimit;
    this.counts = counts;
  }

  /**
   * The handler to put first in a new HTTP connection's pipeline.
   *
   * @param options the server's options: the strict decoder is built from them as Vert.x builds its own
   */
  static io.netty.channel.ChannelHandler front(ServerLimits limits, io.vertx.core.http.HttpServerOptions options,
      Counts counts) {
    int streamLimit = options.getInitialSettings() == null ? Integer.MAX_VALUE
        : (int) Math.min(Integer.MAX_VALUE, options.getInitialSettings().getMaxConcurrentStreams());
    return new ConnectionGuard(limits, options, streamLimit, counts).new Front();
  }

  /**
   * First in the pipeline, it sees the raw bytes: gives the connection an idle timeout when its server has none,
   * installs the inner guard on the first read, and times request heads. The first head is timed from the moment the
   * connection opens (as Go's ReadHeaderTimeout does): a client that connects and sends nothing holds a connection
   * slot only that long.
   */
  private final class Front extends ChannelDuplexHandler {

    private boolean installed;
    /** Whether the connection read or wrote since the last idle check; a flag, so the hot path pays one store. */
    private boolean busy;
    private final boolean ownIdleTimeout =
        options.getIdleTimeout() == 0 && options.getReadIdleTimeout() == 0 && options.getWriteIdleTimeout() == 0;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      armHeadTimer(ctx);
      if (ownIdleTimeout) {
        // Not by changing the server's options: each server instance sharing a port builds its pipelines from its
        // own copy of them. Nor with Netty's IdleStateHandler: it adds a listener to every write, which cost the
        // steady HTTP/2 benchmark 8% of its throughput.
        scheduleIdleCheck(ctx);
      }
      ctx.fireChannelActive();
    }

    /** Every idle timeout: a connection that neither read nor wrote since the last look is idle; Vert.x closes it. */
    private void scheduleIdleCheck(ChannelHandlerContext ctx) {
      ctx.executor().schedule(() -> {
        if (!ctx.channel().isActive()) {
          return;
        }
        if (busy) {
          busy = false;
          scheduleIdleCheck(ctx);
        } else {
          ctx.fireUserEventTriggered(io.netty.handler.timeout.IdleStateEvent.ALL_IDLE_STATE_EVENT);
        }
      }, limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      busy = true;
      if (tracked != null) {
        tracked.newRead();
      }
      if (!installed) {
        installed = true;
        install(ctx.pipeline());
      }
      if (protocol != Protocol.HTTP2 && pending == 0 && msg instanceof ByteBuf) {
        armHeadTimer(ctx);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      busy = true;
      ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      stopHeadTimer();
      ctx.fireChannelInactive();
    }
  }

  /**
   * Starts timing a request head at its first byte, unless one is being timed already. On a keep-alive connection
   * this runs for every request, so it only notes the time: scheduling a task per head and cancelling it once the
   * head is in (as this did before) put two operations on the event loop's timer queue, and an allocation, on every
   * HTTP/1.1 request. The connection's one check is scheduled when none is pending; when it fires it looks at the head
   * being timed then, if any, and aims itself at that head's deadline. So a head still incomplete at its deadline is
   * caught at that deadline, and a busy connection schedules about one check per timeout.
   */
  private void armHeadTimer(ChannelHandlerContext ctx) {
    if (headSince == NOT_TIMING) {
      headSince = System.nanoTime();
      if (headTimer == null) {
        scheduleHeadCheck(ctx, limits.requestHeaderTimeout().toNanos());
      }
    }
  }

  private void scheduleHeadCheck(ChannelHandlerContext ctx, long delayNanos) {
    headTimer = ctx.executor().schedule(() -> headCheck(ctx), delayNanos, TimeUnit.NANOSECONDS);
  }

  private void headCheck(ChannelHandlerContext ctx) {
    headTimer = null;
    if (headSince == NOT_TIMING) {
      return; // no head under way: the next one schedules the check again
    }
    long left = headSince + limits.requestHeaderTimeout().toNanos() - System.nanoTime();
    if (left > 0) {
      scheduleHeadCheck(ctx, left); // a later head than the one this check was scheduled for
    } else {
      headSince = NOT_TIMING;
      headTimedOut(ctx);
    }
  }

  /** After the codec: decoded HTTP/1.x requests and responses, raw HTTP/2 bytes. */
  private final class Inner extends ChannelDuplexHandler {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (rejected) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpRequest request) {
        protocol = Protocol.HTTP1;
        pending++;
        // The request's age counts from its head's first byte, noted for the head timer already; not on the connection's
        // first request, whose head is timed from the connection's opening.
        long headBegan = sawHead ? headSince : NOT_TIMING;
        sawHead = true;
        cancelHeadTimer();
        String why = ambiguousFraming(request.headers());
        if (why != null) {
          reject(ctx, msg, why);
          return;
        }
        TrackedConnection connection = tracked(ctx);
        if (connection != null) {
          if (vertxDiscardsHeads) {
            connection.http1Discarded();
          } else {
            connection.http1Began(request, headBegan == NOT_TIMING ? System.nanoTime() : headBegan);
            vertxDiscardsHeads = !keepAlive(request);
          }
        }
      } else if (msg instanceof io.netty.handler.codec.http.HttpContent) {
        cancelHeadTimer(); // a body is arriving: its head was complete (an upload after an early answer)
      } else if (protocol != Protocol.HTTP2 && (msg instanceof ByteBuf || msg instanceof Http2HeadersFrame)) {
        Http2ConnectionHandler h2 = ctx.pipeline().get(Http2ConnectionHandler.class);
        if (h2 != null) {
          // Before the handler decodes anything: the limit holds from the client's first HEADERS frame.
          h2.connection().remote().maxActiveStreams(streamLimit);
          protocol = Protocol.HTTP2;
          cancelHeadTimer();
          TrackedConnection connection = tracked(ctx);
          if (connection != null) {
            // An h2c upgrade request reaches Vert.x as a HEADERS frame object (stream 1), not through the codec.
            Http2Requests.attach(connection, h2, msg instanceof Http2HeadersFrame upgrade ? upgrade.headers() : null);
          }
          // Nothing more to do on HTTP/2: off the hot path of every frame read and written.
          ctx.pipeline().remove(this);
        }
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof ShutdownEvent) {
        vertxDiscardsHeads = true; // the drain told Vert.x to close the connection after its current answer
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
      boolean informational = false;
      boolean interim = false; // 100 Continue, 103 Early Hints: the request's final answer is still to come
      if (msg instanceof HttpResponse response) {
        informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        interim = informational && response.status().code() != 101;
        if (!interim && tracked != null) {
          tracked.http1Answers(response);
        }
      }
      if (msg instanceof LastHttpContent) {
        if (!informational && pending > 0) {
          pending--; // not after a 101: an upgraded connection has no request heads to time
        }
        if (!interim && tracked != null) {
          tracked.http1Ended();
        }
      }
      ctx.write(msg, promise);
    }
  }

  /** Vert.x's own rule ({@code HttpUtils.isKeepAlive}), so the runtime stops tracking exactly where Vert.x stops serving. */
  private static boolean keepAlive(HttpRequest request) {
    HttpVersion version = request.protocolVersion();
    return version == HttpVersion.HTTP_1_1 && !request.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)
        || version == HttpVersion.HTTP_1_0 && request.headers().contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE, true);
  }

  private TrackedConnection tracked(ChannelHandlerContext ctx) {
    if (tracked == null) {
      tracked = TrackedConnection.of(ctx.channel());
    }
    return tracked;
  }

  private void install(ChannelPipeline pipeline) {
    // TLS: an SslHandler, or an SniHandler that becomes one once it has read the ClientHello.
    io.netty.channel.ChannelHandler tls = pipeline.get(SslHandler.class) != null ? pipeline.get(SslHandler.class)
        : pipeline.get(io.netty.handler.ssl.SslClientHelloHandler.class);
    if (tls != null) {
      // The handshake configures the codec: from just after TLS, finish the installation once it has.
      pipeline.addAfter(pipeline.context(tls).name(), null, new Relocate());
    } else if (pipeline.context(HTTP_DECODER) != null) {
      finish(pipeline); // HTTP/1.x only (no h2c): configured already, and nothing decoded yet
    } else {
      // Vert.x's h2c-or-HTTP/1.x detector configures the codec on the first bytes, inserting it just before this
      // name (HttpServerConnectionInitializer.computeChannelName): the relocation sits there, after the detector.
      String codecAt = pipeline.context("chunkedWriter") != null ? "chunkedWriter"
          : pipeline.context("idle") != null ? "idle" : "handler";
      if (pipeline.context(codecAt) != null) {
        pipeline.addBefore(codecAt, null, new Relocate());
      } else {
        pipeline.addLast(new Relocate());
      }
    }
  }

  /** Once the codec is in place and before it decodes a byte: the strict decoder, and the inner guard after it. */
  private void finish(ChannelPipeline pipeline) {
    if (pipeline.get(HTTP_DECODER) instanceof io.vertx.core.http.impl.VertxHttpRequestDecoder
        && !(pipeline.get(HTTP_DECODER) instanceof StrictRequestDecoder)) {
      pipeline.replace(HTTP_DECODER, HTTP_DECODER, new StrictRequestDecoder(options));
    }
    if (pipeline.context("handler") != null) {
      pipeline.addBefore("handler", null, new Inner());
    } else {
      pipeline.addLast(new Inner());
    }
  }

  /**
   * Waits where the codec will be configured; at the first bytes after that, finishes the installation. Until the
   * codec exists (a TLS handshake, a PROXY protocol header), it only passes messages on.
   */
  private final class Relocate extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ChannelPipeline pipeline = ctx.pipeline();
      if (msg instanceof ByteBuf && (pipeline.context(HTTP_DECODER) != null || pipeline.get(Http2ConnectionHandler.class) != null)) {
        finish(pipeline);
        // Passed on while still linked, so these bytes reach the inner guard: a removed context keeps the next handler
        // it had, which on prior-knowledge h2c is Vert.x's handler itself, and a client's preface, SETTINGS and first
        // HEADERS usually come in one read.
        ctx.fireChannelRead(msg);
        pipeline.remove(this);
        return;
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** Why the request's framing is ambiguous (RFC 9112 6.3), or null. */
  static String ambiguousFraming(HttpHeaders headers) {
    if (!headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      return null;
    }
    if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      return "both Content-Length and Transfer-Encoding";
    }
    java.util.List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (codings.size() != 1 || !codings.get(0).trim().equalsIgnoreCase(HttpHeaderValues.CHUNKED.toString())) {
      return "Transfer-Encoding other than chunked: " + LogText.escape(String.join(", ", codings));
    }
    return null;
  }

  private void reject(ChannelHandlerContext ctx, Object msg, String why) {
    rejected = true;
    counts.ambiguousFraming.increment();
    ReferenceCountUtil.release(msg);
    LOG.fine(() -> "400 and close for " + ctx.channel().remoteAddress() + ": " + why);
    DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST);
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }

  private void headTimedOut(ChannelHandlerContext ctx) {
    boolean stillHttp1 = protocol == Protocol.UNKNOWN || ctx.pipeline().get(HTTP_DECODER) != null;
    if (protocol != Protocol.HTTP2 && pending == 0 && stillHttp1 && ctx.channel().isActive()) {
      counts.headerTimeouts.increment();
      LOG.fine(() -> "closing " + ctx.channel().remoteAddress() + ": no complete request head within "
          + limits.requestHeaderTimeout().toMillis() + " ms");
      ctx.channel().close();
    }
  }

  /** The head being timed is complete (or no longer times out): the check, when it fires, finds nothing to time. */
  private void cancelHeadTimer() {
    headSince = NOT_TIMING;
  }

  /** The connection is closed: its check goes too, so the timer queue does not hold the pipeline until it fires. */
  private void stopHeadTimer() {
    headSince = NOT_TIMING;
    if (headTimer != null) {
      headTimer.cancel(false);
      headTimer = null;
    }
  }
}
