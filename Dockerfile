# Graceful Runtime base image.
#
# Teams build FROM it: copy application jars into /app/ext and name their classes in GRACEFUL_VERTICLES.
# With no application jars it runs the demo (HTTP 8080, gRPC 9090, probes and metrics 9000).
#
#   mvn -B -q -DskipTests package
#   docker build -t graceful-runtime:0.1.0 .
#
# The base is a build argument so it can be swapped (another Java 21 JRE distribution, a hardened or
# internally mirrored image). Any base works that has `java` (21) on PATH and a writable /etc/passwd at build time.
ARG BASE_IMAGE=eclipse-temurin:21-jre
FROM ${BASE_IMAGE}

# A fixed non-root user, matching the Helm chart's runAsUser; added by hand so the base needs no useradd.
RUN echo 'graceful:x:10001:10001:Graceful Runtime:/app:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'graceful:x:10001:' >> /etc/group \
 && mkdir -p /app/lib /app/ext

COPY runtime/target/lib/ /app/lib/
COPY runtime/target/graceful-runtime.jar /app/graceful-runtime.jar

WORKDIR /app
USER 10001:10001
EXPOSE 8080 9090 9000

# Exec form, so java is PID 1 and receives SIGTERM itself (a shell in between would swallow it).
# Heap as a share of the container's memory limit; exit on OutOfMemoryError so the kubelet restarts a broken
# JVM instead of leaving it half alive. Add JVM options with JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", \
  "-XX:MaxRAMPercentage=75.0", \
  "-XX:InitialRAMPercentage=25.0", \
  "-XX:+ExitOnOutOfMemoryError", \
  "-Djava.io.tmpdir=/tmp", \
  "-cp", "/app/graceful-runtime.jar:/app/lib/*:/app/ext/*", \
  "dev.graceful.runtime.Main"]
