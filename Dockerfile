# Graceful Runtime base image.
#
# Teams build FROM it: copy application jars into /app/ext and name their classes in GRACEFUL_VERTICLES.
# With no application jars it runs the demo (HTTP 8080, gRPC 9090, probes and metrics 9000).
#
#   mvn -B -q -DskipTests package
#   docker build -t graceful-runtime:0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
#
# The base is a build argument so it can be swapped: another Java 21 JRE distribution, a hardened or internally
# mirrored image, a base without a shell (distroless), or one pinned by digest:
#
#   docker build --build-arg BASE_IMAGE=eclipse-temurin:21-jre@sha256:<digest> .
#
# Any base works that has `java` (21) on PATH. Nothing here runs a command at build time (no RUN), so the base needs
# no shell, no useradd and no writable /etc/passwd.
ARG BASE_IMAGE=eclipse-temurin:21-jre
FROM ${BASE_IMAGE}

# OCI annotations; the build passes the real revision (and, for a published image, its source and licence).
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=""
ARG LICENSES=NOASSERTION
LABEL org.opencontainers.image.title="Graceful Runtime" \
      org.opencontainers.image.description="Vert.x HTTP and gRPC servers that start and drain on Kubernetes without dropping requests" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="${LICENSES}"

# Owned by root and read-only for the process: the runtime never writes next to its jars.
COPY runtime/target/lib/ /app/lib/
COPY runtime/target/graceful-runtime.jar /app/graceful-runtime.jar

WORKDIR /app
# Numeric, so no passwd entry is needed (the Helm chart's runAsUser). Without one the JVM has no home directory;
# -Duser.home below gives it /tmp, the one place the chart leaves writable.
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
  "-Duser.home=/tmp", \
  "-cp", "/app/graceful-runtime.jar:/app/lib/*:/app/ext/*", \
  "dev.graceful.runtime.Main"]
