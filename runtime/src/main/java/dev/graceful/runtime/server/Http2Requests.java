package dev.graceful.runtime.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * The requests of one HTTP/2 connection (gRPC too), from Netty's codec with its public API: a request begins with the
 * first HEADERS of a stream the client opened, and ends when Netty closes the stream, which it does once both sides
 * have ended it and the last frame of the answer is written, on a reset either way, or with the connection. So an
 * answer held back by the client's flow-control window is still in flight, and a stream the server refuses (past
 * {@code MAX_CONCURRENT_STREAMS}, or after its GOAWAY) never begins. Event loop only.
 */
final class Http2Requests extends Http2ConnectionAdapter {

  private final TrackedConnection connection;
  private final Http2Connection http2;
  private final Http2Connection.PropertyKey key;

  private Http2Requests(TrackedConnection connection, Http2Connection http2) {
    this.connection = connection;
    this.http2 = http2;
    this.key = http2.newKey();
  }

  /**
   * Starts tracking a connection whose codec has not decoded a frame yet.
   *
   * @param upgrade the headers of an h2c upgrade request, which became stream 1 without a HEADERS frame; or null
   */
  static void attach(TrackedConnection connection, Http2ConnectionHandler handler, Http2Headers upgrade) {
    Http2Requests requests = new Http2Requests(connection, handler.connection());
    handler.connection().addListener(requests);
    Http2ConnectionDecoder decoder = handler.decoder();
    decoder.frameListener(requests.new HeadersListener(decoder, decoder.frameListener()));
    if (upgrade != null) {
      requests.began(Http2CodecUtil.HTTP_UPGRADE_STREAM_ID, upgrade);
    }
  }

  private void began(int streamId, Http2Headers headers) {
    Http2Stream stream = http2.stream(streamId);
    // Trailers come as HEADERS too; a stream the client opened has an odd id (RFC 9113 5.1.1).
    if (stream == null || stream.state() == Http2Stream.State.CLOSED || stream.getProperty(key) != null
        || http2.local().isValidStreamId(streamId)) {
      return;
    }
    InFlightRequest entry = new InFlightRequest(connection, headers.method(), headers.path(), true, connection.readTime());
    stream.setProperty(key, entry);
    connection.began(entry);
  }

  @Override
  public void onStreamClosed(Http2Stream stream) {
    InFlightRequest entry = stream.removeProperty(key);
    if (entry != null) {
      connection.ended(entry);
    }
  }

  /**
   * Sees each HEADERS frame before Vert.x's listener, after Netty's decoder has opened its stream. Vert.x swaps its
   * listener when the client's first SETTINGS arrive; this one then puts itself in front of the new one. Only when a
   * listener after it swapped: one before it (the drain's PING listener) re-wraps itself the same way.
   */
  private final class HeadersListener extends Http2FrameListenerDecorator {

    private final Http2ConnectionDecoder decoder;

    HeadersListener(Http2ConnectionDecoder decoder, Http2FrameListener next) {
      super(next);
      this.decoder = decoder;
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
        boolean endOfStream) throws Http2Exception {
      began(streamId, headers);
      super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
        short weight, boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
      began(streamId, headers);
      super.onHeadersRead(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream);
    }

    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) throws Http2Exception {
      Http2FrameListener before = decoder.frameListener();
      super.onSettingsRead(ctx, settings);
      Http2FrameListener now = decoder.frameListener();
      if (now != before) {
        decoder.frameListener(new HeadersListener(decoder, now));
      }
    }
  }
}
