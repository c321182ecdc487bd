package dev.graceful.runtime.server;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;

/**
 * Checks the gRPC message framing of a request (a 1-byte compressed flag, a 4-byte length, the message) as it streams
 * in, and answers a malformed one with {@code INTERNAL} at once, as the gRPC over HTTP/2 spec asks. vertx-grpc 5.0.7
 * leaves such a call open for good: a compressed flag without {@code grpc-encoding} throws inside its deframer
 * ("Handle me"), and a stream that ends inside a message is ended without a word, so the service never gets its
 * request. A method whose client sends one message (unary, server streaming) must get exactly one, as grpc-java
 * enforces; vertx-grpc waits for good on a request that ended without it. Nothing is buffered: only the prefix state
 * is kept.
 */
final class GrpcFraming extends HttpServerRequestWrapper {

  private static final int PREFIX = 5;

  private final boolean compressionDeclared;
  private final boolean singleMessage;
  private int messages;
  /** Bytes of the current message's prefix seen so far (0-5), then of its payload. */
  private int prefixSeen;
  private final byte[] prefix = new byte[PREFIX];
  private long payloadLeft;
  private boolean failed;

  private GrpcFraming(HttpServerRequestInternal delegate, boolean singleMessage) {
    super(delegate);
    this.singleMessage = singleMessage;
    String encoding = delegate.getHeader("grpc-encoding");
    this.compressionDeclared = encoding != null && !encoding.equalsIgnoreCase("identity");
  }

  /**
   * The request, checked when it is a gRPC call; as it is otherwise.
   *
   * @param singleMessagePaths paths ({@code /package.Service/Method}) of the methods whose client sends one message
   */
  static HttpServerRequest check(HttpServerRequest request, java.util.Set<String> singleMessagePaths) {
    String type = request.getHeader("content-type");
    // grpc-web-text is base64 on the wire, decoded by vertx-grpc above this wrapper: its framing is checked there.
    if (type != null && type.startsWith("application/grpc") && !type.startsWith("application/grpc-web-text")
        && request instanceof HttpServerRequestInternal internal) {
      return new GrpcFraming(internal, singleMessagePaths.contains(request.path()));
    }
    return request;
  }

  @Override
  public HttpServerRequest handler(Handler<Buffer> handler) {
    return delegate.handler(handler == null ? null : chunk -> {
      if (!failed && accept(chunk)) {
        handler.handle(chunk);
      }
    });
  }

  @Override
  public HttpServerRequest endHandler(Handler<Void> endHandler) {
    return delegate.endHandler(endHandler == null ? null : v -> {
      if (failed) {
        return;
      }
      if (prefixSeen > 0 || payloadLeft > 0) {
        fail("the request ended inside a message (" + (prefixSeen < PREFIX ? prefixSeen + " of 5 prefix bytes"
            : payloadLeft + " payload bytes missing") + ")");
        return;
      }
      if (singleMessage && messages == 0) {
        fail("the request ended without its message");
        return;
      }
      endHandler.handle(v);
    });
  }

  /** Walks the chunk through the framing; false (and the call answered) at the first violation. */
  private boolean accept(Buffer chunk) {
    int i = 0;
    int length = chunk.length();
    while (i < length) {
      if (payloadLeft > 0) {
        int take = (int) Math.min(payloadLeft, length - i);
        payloadLeft -= take;
        i += take;
        if (payloadLeft == 0) {
          prefixSeen = 0;
          if (!messageDone()) {
            return false;
          }
        }
        continue;
      }
      prefix[prefixSeen++] = chunk.getByte(i++);
      if (prefixSeen == PREFIX) {
        int flag = prefix[0] & 0xff;
        if (flag > 1) {
          return fail("compressed flag " + flag + " (only 0 or 1)");
        }
        if (flag == 1 && !compressionDeclared) {
          return fail("compressed flag set without grpc-encoding");
        }
        payloadLeft = ((prefix[1] & 0xffL) << 24) | ((prefix[2] & 0xffL) << 16) | ((prefix[3] & 0xffL) << 8) | (prefix[4] & 0xffL);
        if (payloadLeft == 0) {
          prefixSeen = 0;
          if (!messageDone()) {
            return false;
          }
        }
      }
    }
    return true;
  }

  private boolean messageDone() {
    messages++;
    return !(singleMessage && messages > 1) || fail("more than one message for a method that takes one");
  }

  private boolean fail(String why) {
    failed = true;
    HttpServerResponse response = delegate.response();
    if (!response.ended() && !response.closed()) {
      if (!response.headWritten()) {
        response.putHeader("content-type", "application/grpc");
      }
      response.putTrailer("grpc-status", "13").putTrailer("grpc-message", "malformed request: " + why).end();
    }
    return false;
  }
}
