package dev.graceful.runtime.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A hand-written HTTP/2 client for hostile cases no polite client produces: prior-knowledge h2c, a SETTINGS frame it
 * never follows with an ACK of the server's, and as many HEADERS frames as asked, each opening a stream it leaves open
 * (no END_STREAM), HPACK-encoded with literals only.
 */
public final class RawH2 implements AutoCloseable {

  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
  public static final int DATA = 0x0;
  public static final int HEADERS = 0x1;
  public static final int RST_STREAM = 0x3;
  public static final int SETTINGS = 0x4;
  public static final int GOAWAY = 0x7;
  public static final int REFUSED_STREAM = 0x7;

  private final Socket socket;
  private final DataInputStream in;

  public RawH2(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    in = new DataInputStream(socket.getInputStream());
  }

  /**
   * The preface, an empty SETTINGS, then {@code streams} HEADERS frames (odd ids from 1), no ACK. {@code contentType}
   * null: {@code GET path}; else {@code POST path} with that content type (gRPC).
   */
  public void openStreamsWithoutAck(int streams, String path, String contentType) throws IOException {
    OutputStream out = socket.getOutputStream();
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    batch.write(PREFACE);
    frame(batch, SETTINGS, 0, 0, new byte[0]);
    byte[] block = headerBlock(path, contentType);
    for (int i = 0; i < streams; i++) {
      frame(batch, HEADERS, 0x4 /* END_HEADERS, and no END_STREAM: the stream stays open */, 2 * i + 1, block);
      if (batch.size() > 64 * 1024) {
        out.write(batch.toByteArray());
        batch.reset();
      }
    }
    out.write(batch.toByteArray());
    out.flush();
  }

  /** What the server answered: streams refused, and whether it closed the connection. */
  public record Answer(int refused, boolean closedByServer) {
  }

  /** Reads frames until the server closes the connection or {@code timeout} passes without a frame. */
  public Answer readUntilClosed(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    int refused = 0;
    try {
      while (true) {
        int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        in.readUnsignedByte(); // flags
        in.readInt(); // stream id
        byte[] payload = in.readNBytes(length);
        if (type == RST_STREAM && payload.length == 4
            && ((payload[0] & 0xff) << 24 | (payload[1] & 0xff) << 16 | (payload[2] & 0xff) << 8 | (payload[3] & 0xff)) == REFUSED_STREAM) {
          refused++;
        }
      }
    } catch (SocketTimeoutException e) {
      return new Answer(refused, false);
    } catch (java.io.EOFException | java.net.SocketException e) {
      return new Answer(refused, true);
    }
  }

  /** How a single call ended: the grpc-status it got, or how it ended without one. */
  public record CallEnd(String grpcStatus, String how, long tookMs) {
  }

  /**
   * One gRPC call on a fresh connection: HEADERS for {@code path}, then {@code body} as one DATA frame with
   * END_STREAM (any bytes, malformed on purpose), acknowledging the server's SETTINGS as a client should. Waits, up
   * to {@code timeout}, for the server to end the stream.
   */
  public CallEnd grpcCall(String path, byte[] body, Duration timeout, String... extraHeaders) throws Exception {
    OutputStream out = socket.getOutputStream();
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    batch.write(PREFACE);
    frame(batch, SETTINGS, 0, 0, new byte[0]);
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    block.write(headerBlock(path, "application/grpc"));
    literal(block, 0, "te", "trailers");
    for (int i = 0; i < extraHeaders.length; i += 2) {
      literal(block, 0, extraHeaders[i], extraHeaders[i + 1]);
    }
    frame(batch, HEADERS, 0x4, 1, block.toByteArray());
    frame(batch, DATA, 0x1, 1, body);
    out.write(batch.toByteArray());
    out.flush();
    socket.setSoTimeout((int) timeout.toMillis());
    long sent = System.nanoTime();
    io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder decoder = new io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder(false);
    String status = null;
    try {
      while (true) {
        int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = in.readNBytes(length);
        if (type == SETTINGS && (flags & 0x1) == 0) {
          ByteArrayOutputStream ack = new ByteArrayOutputStream();
          frame(ack, SETTINGS, 0x1, 0, new byte[0]);
          out.write(ack.toByteArray());
          out.flush();
        } else if (type == HEADERS && stream == 1) {
          int from = 0;
          int to = payload.length;
          if ((flags & 0x8) != 0) { // PADDED
            to -= payload[0] & 0xff;
            from = 1;
          }
          if ((flags & 0x20) != 0) { // PRIORITY
            from += 5;
          }
          io.netty.handler.codec.http2.Http2Headers headers =
              decoder.decodeHeaders(1, io.netty.buffer.Unpooled.wrappedBuffer(payload, from, to - from));
          CharSequence s = headers.get("grpc-status");
          if (s != null) {
            status = s.toString();
          }
          if ((flags & 0x1) != 0) {
            return new CallEnd(status, "end-stream", (System.nanoTime() - sent) / 1_000_000);
          }
        } else if (type == RST_STREAM && stream == 1) {
          return new CallEnd(status, "rst-stream", (System.nanoTime() - sent) / 1_000_000);
        } else if (type == GOAWAY) {
          return new CallEnd(status, "goaway", (System.nanoTime() - sent) / 1_000_000);
        }
      }
    } catch (SocketTimeoutException e) {
      return new CallEnd(status, "no end within " + timeout.toMillis() + " ms", (System.nanoTime() - sent) / 1_000_000);
    } catch (java.io.EOFException e) {
      return new CallEnd(status, "connection closed", (System.nanoTime() - sent) / 1_000_000);
    }
  }

  private static void literal(ByteArrayOutputStream b, int zero, String name, String value) {
    byte[] n = name.getBytes(StandardCharsets.ISO_8859_1);
    byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
    b.write(0x00); // literal without indexing, new name
    b.write(n.length);
    b.write(n, 0, n.length);
    b.write(v.length);
    b.write(v, 0, v.length);
  }

  private static byte[] headerBlock(String path, String contentType) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(contentType == null ? 0x82 : 0x83); // :method GET or POST (static table 2, 3)
    b.write(0x86); // :scheme http (static table 6)
    literal(b, 1, "127.0.0.1"); // :authority
    literal(b, 4, path); // :path
    if (contentType != null) {
      literal(b, 31, contentType); // content-type
    }
    return b.toByteArray();
  }

  /** A literal header field without indexing, its name from the static table. */
  private static void literal(ByteArrayOutputStream b, int nameIndex, String value) {
    byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
    if (nameIndex < 15) {
      b.write(nameIndex);
    } else {
      b.write(0x0f);
      b.write(nameIndex - 15);
    }
    b.write(v.length); // < 127, no Huffman
    b.write(v, 0, v.length);
  }

  private static void frame(ByteArrayOutputStream b, int type, int flags, int stream, byte[] payload) {
    b.write(payload.length >>> 16);
    b.write(payload.length >>> 8);
    b.write(payload.length);
    b.write(type);
    b.write(flags);
    b.write(stream >>> 24);
    b.write(stream >>> 16);
    b.write(stream >>> 8);
    b.write(stream);
    b.write(payload, 0, payload.length);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
