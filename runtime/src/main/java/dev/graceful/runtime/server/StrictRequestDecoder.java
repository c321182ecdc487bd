package dev.graceful.runtime.server;

import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;

/**
 * Vert.x's request decoder, except for a request with both {@code Content-Length} and {@code Transfer-Encoding}: Netty
 * drops the length and goes on, so a request hidden in the body, as a proxy that trusts the length sees it, is answered
 * too (request smuggling). Here the head fails to decode, so Vert.x answers 400 and closes the connection (RFC 9112
 * 6.3: the server must close it). Swapped in for Vert.x's by {@link ConnectionGuard} before it has read a byte.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    throw new IllegalArgumentException("both Content-Length and Transfer-Encoding (RFC 9112 6.3)");
  }
}
