package dev.graceful.runtime.server;

import io.vertx.core.Vertx;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;

/**
 * Request tracking through Vert.x's metrics SPI: core reports every request's begin and its response's end (or the
 * stream's reset, or the connection's loss) itself, whatever handlers the application installs, so nothing an
 * application does can leave an entry behind (vertx-web's {@code addEndHandler} replaces a response's end handler,
 * which is how the earlier handler-based tracking leaked). Every other metric goes to the delegate, Micrometer's
 * when {@code GRACEFUL_VERTX_METRICS} is on.
 */
final class RequestTracking implements VertxMetrics {

  private final VertxMetrics delegate;

  RequestTracking(VertxMetrics delegate) {
    this.delegate = delegate;
  }

  @Override
  public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
    @SuppressWarnings("unchecked")
    HttpServerMetrics<Object, Object, Object> also = delegate == null ? null
        : (HttpServerMetrics<Object, Object, Object>) delegate.createHttpServerMetrics(options, localAddress);
    return new ServerRequests(also);
  }

  // ---- everything else is the delegate's ----

  @Override
  public EventBusMetrics<?> createEventBusMetrics() {
    return delegate == null ? null : delegate.createEventBusMetrics();
  }

  @Override
  public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
    return delegate == null ? null : delegate.createClientMetrics(remoteAddress, type, namespace);
  }

  @Override
  public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
    return delegate == null ? null : delegate.createHttpClientMetrics(options);
  }

  @Override
  public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
    return delegate == null ? null : delegate.createNetServerMetrics(options, localAddress);
  }

  @Override
  public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
    return delegate == null ? null : delegate.createNetClientMetrics(options);
  }

  @Override
  public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
    return delegate == null ? null : delegate.createDatagramSocketMetrics(options);
  }

  @Override
  public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
    return delegate == null ? null : delegate.createPoolMetrics(type, name, maxSize);
  }

  @Override
  public void vertxCreated(Vertx vertx) {
    if (delegate != null) {
      delegate.vertxCreated(vertx);
    }
  }

  @Override
  public boolean isMetricsEnabled() {
    return true;
  }

  @Override
  public void close() {
    if (delegate != null) {
      delegate.close();
    }
  }

  /** One connection's metric: its tracked state, found at its first request, and the delegate's metric. */
  private static final class Connection {
    final Object also;
    TrackedConnection tracked;

    Connection(Object also) {
      this.also = also;
    }
  }

  /**
   * The HTTP server metrics of one listener; methods run on the connection's event loop. A request's metric is its
   * {@link InFlightRequest} (with the delegate's metric inside), or null when there is nothing to track or delegate.
   */
  private static final class ServerRequests implements HttpServerMetrics<InFlightRequest, Object, Connection> {

    private final HttpServerMetrics<Object, Object, Object> also;

    ServerRequests(HttpServerMetrics<Object, Object, Object> also) {
      this.also = also;
    }

    @Override
    public Connection connected(SocketAddress remoteAddress, String remoteName) {
      return new Connection(also == null ? null : also.connected(remoteAddress, remoteName));
    }

    @Override
    public void disconnected(Connection connection, SocketAddress remoteAddress) {
      if (also != null) {
        also.disconnected(connection == null ? null : connection.also, remoteAddress);
      }
    }

    @Override
    public InFlightRequest requestBegin(Connection connection, HttpRequest request) {
      Object alsoMetric = also == null ? null : also.requestBegin(connection == null ? null : connection.also, request);
      if (!(request instanceof HttpServerRequest serverRequest)) {
        return untracked(alsoMetric);
      }
      TrackedConnection tracked = connection == null ? null : connection.tracked;
      if (tracked == null) {
        // The connection's channel carries its state (ListenerTransport put it there when it was accepted).
        tracked = serverRequest.connection() instanceof ConnectionBase base ? TrackedConnection.of(base.channel()) : null;
        if (connection != null) {
          connection.tracked = tracked;
        }
      }
      if (tracked == null) {
        return untracked(alsoMetric);
      }
      InFlightRequest entry = new InFlightRequest(tracked, serverRequest, alsoMetric);
      tracked.server.requestBegan(tracked, entry, serverRequest);
      return entry;
    }

    private static InFlightRequest untracked(Object alsoMetric) {
      return alsoMetric == null ? null : new InFlightRequest(null, null, alsoMetric);
    }

    private static void ended(InFlightRequest request) {
      if (request != null && request.connection != null) {
        request.connection.server.requestEnded(request.connection, request);
      }
    }

    @Override
    public void requestEnd(InFlightRequest request, HttpRequest httpRequest, long bytesRead) {
      if (also != null && request != null) {
        also.requestEnd(request.also, httpRequest, bytesRead);
      }
    }

    @Override
    public void responseBegin(InFlightRequest request, HttpResponse response) {
      if (request != null && request.connection != null && response instanceof HttpServerResponse serverResponse) {
        request.connection.server.responseBegins(request, request.request, serverResponse);
      }
      if (also != null && request != null) {
        also.responseBegin(request.also, response);
      }
    }

    @Override
    public void responseEnd(InFlightRequest request, HttpResponse response, long bytesWritten) {
      ended(request);
      if (also != null && request != null) {
        also.responseEnd(request.also, response, bytesWritten);
      }
    }

    @Override
    public void requestReset(InFlightRequest request) {
      ended(request);
      if (also != null && request != null) {
        also.requestReset(request.also);
      }
    }

    @Override
    public Object connected(Connection connection, InFlightRequest request, ServerWebSocket webSocket) {
      // The upgrade's exchange is over; the WebSocket lives on as its connection, which the drain tracks.
      ended(request);
      return also == null ? null : also.connected(connection == null ? null : connection.also, request == null ? null : request.also, webSocket);
    }

    @Override
    public void disconnected(Object webSocketMetric) {
      if (also != null) {
        also.disconnected(webSocketMetric);
      }
    }

    @Override
    public void requestRouted(InFlightRequest request, String route) {
      if (also != null && request != null) {
        also.requestRouted(request.also, route);
      }
    }

    @Override
    public InFlightRequest responsePushed(Connection connection, io.vertx.core.http.HttpMethod method, String uri, HttpResponse response) {
      Object alsoMetric = also == null ? null : also.responsePushed(connection == null ? null : connection.also, method, uri, response);
      return untracked(alsoMetric);
    }

    @Override
    public void bytesRead(Connection connection, SocketAddress remoteAddress, long numberOfBytes) {
      if (also != null) {
        also.bytesRead(connection == null ? null : connection.also, remoteAddress, numberOfBytes);
      }
    }

    @Override
    public void bytesWritten(Connection connection, SocketAddress remoteAddress, long numberOfBytes) {
      if (also != null) {
        also.bytesWritten(connection == null ? null : connection.also, remoteAddress, numberOfBytes);
      }
    }

    @Override
    public void exceptionOccurred(Connection connection, SocketAddress remoteAddress, Throwable t) {
      if (also != null) {
        also.exceptionOccurred(connection == null ? null : connection.also, remoteAddress, t);
      }
    }

    @Override
    public void close() {
      if (also != null) {
        also.close();
      }
    }
  }
}
