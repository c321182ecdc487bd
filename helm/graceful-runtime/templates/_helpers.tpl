{{/* Names and labels, following `helm create`'s conventions. */}}
{{- define "graceful.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "graceful.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "graceful.selectorLabels" -}}
app.kubernetes.io/name: {{ include "graceful.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The standard labels, then commonLabels (which cannot replace the selector's). */}}
{{- define "graceful.labels" -}}
{{- $labels := dict
  "helm.sh/chart" (printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_")
  "app.kubernetes.io/version" .Chart.AppVersion
  "app.kubernetes.io/component" "server"
  "app.kubernetes.io/part-of" (include "graceful.name" .)
  "app.kubernetes.io/managed-by" .Release.Service }}
{{- $labels = merge (include "graceful.selectorLabels" . | fromYaml) $labels .Values.commonLabels }}
{{- toYaml $labels }}
{{- end }}

{{/* The helm test pod's labels: the release's, with its own app.kubernetes.io/name, so no selector of the release matches it. */}}
{{- define "graceful.testLabels" -}}
{{- $labels := include "graceful.labels" . | fromYaml }}
{{- $_ := set $labels "app.kubernetes.io/name" (printf "%s-test" (include "graceful.name" . | trunc 58 | trimSuffix "-")) }}
{{- $_ = set $labels "app.kubernetes.io/component" "test" }}
{{- toYaml $labels }}
{{- end }}

{{/* The label a client pod carries to pass a NetworkPolicy with allowExternal=false (at most 63 characters). */}}
{{- define "graceful.clientLabel" -}}
{{- printf "%s-client" (include "graceful.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/* metadata.labels and, when commonAnnotations are set, metadata.annotations; the caller indents. */}}
{{- define "graceful.metadata" -}}
labels:
  {{- include "graceful.labels" . | nindent 2 }}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* registry/repository@digest, or :tag (the appVersion by default); image.registry, then global.imageRegistry. */}}
{{- define "graceful.image" -}}
{{- $registry := .Values.image.registry | default .Values.global.imageRegistry }}
{{- $repository := .Values.image.repository }}
{{- if $registry }}{{ $repository = printf "%s/%s" $registry $repository }}{{ end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "graceful.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "graceful.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Whether a mesh's proxy runs as a native sidecar: true/false as set, or for "auto" whether the cluster runs native
sidecars (Kubernetes 1.29+, read from .Capabilities.KubeVersion). Call with (list nativeSidecarValue $).
*/}}
{{- define "graceful.meshNative" -}}
{{- $value := index . 0 }}
{{- $root := index . 1 }}
{{- if eq (toString $value) "auto" }}
{{- semverCompare ">=1.29.0-0" $root.Capabilities.KubeVersion.Version }}
{{- else }}
{{- $value }}
{{- end }}
{{- end }}

{{/*
The deadline margin the runtime gets: the value, or 2 s with a classic Linkerd proxy. That proxy's SIGTERM comes
terminationGracePeriodSeconds - 1 after the pod's (its preStop sleep); the runtime uses up to half its margin past its
deadline, so a 2 s margin has it done by then.
*/}}
{{- define "graceful.deadlineMarginMillis" -}}
{{- $margin := int .Values.shutdown.deadlineMarginMillis }}
{{- if .Values.mesh.linkerd.enabled }}
{{- $margin = max $margin 2000 }}
{{- end }}
{{- $margin }}
{{- end }}

{{/*
The mesh's pod annotations, as YAML: the proxy ready before the runtime starts, and forwarding in both directions until
the runtime is done (docs/meshes.md has each mesh's behaviour and its source). The classic proxy's holds are written
even when native is asked for: a mesh too old to know the native annotation then injects a classic proxy that is
still held, and a native proxy does not read them.
- Istio: pilot-agent kills a classic Envoy terminationDrainDuration after SIGTERM, so that is the whole grace period
  (the runtime's last report and Events come up to half its margin past its deadline). EXIT_ON_ZERO_ACTIVE_CONNECTIONS
  is not used: it ignores terminationDrainDuration and can end Envoy at the first quiet second after 5 s.
  holdApplicationUntilProxyStarts only for an explicitly classic sidecar: with it Istio's native template leaves out the
  preStop drain, after which the native proxy's SIGTERM would wait terminationDrainDuration past the app's exit.
- Linkerd: a classic proxy stops accepting at its SIGTERM, which proxy-wait-before-exit-seconds (a preStop sleep, which
  Linkerd requires below the grace period, and ignores for a native proxy) delays to one second before the kill; the
  runtime's margin is 2 s so it is done by then. The native annotation is written under its current name and the
  deprecated alpha one, which Linkerd before 2.20 reads.
*/}}
{{- define "graceful.meshAnnotations" -}}
{{- $grace := int .Values.terminationGracePeriodSeconds }}
{{- if .Values.mesh.istio.enabled }}
{{- $native := include "graceful.meshNative" (list .Values.mesh.istio.nativeSidecar .) }}
sidecar.istio.io/nativeSidecar: {{ $native | quote }}
proxy.istio.io/config: |
  {{- if eq $native "false" }}
  holdApplicationUntilProxyStarts: true
  {{- end }}
  terminationDrainDuration: {{ $grace }}s
{{- end }}
{{- if .Values.mesh.linkerd.enabled }}
{{- $native := include "graceful.meshNative" (list .Values.mesh.linkerd.nativeSidecar .) }}
linkerd.io/inject: enabled
config.linkerd.io/proxy-await: enabled
config.linkerd.io/proxy-enable-native-sidecar: {{ $native | quote }}
config.alpha.linkerd.io/proxy-enable-native-sidecar: {{ $native | quote }}
config.alpha.linkerd.io/proxy-wait-before-exit-seconds: {{ sub $grace 1 | quote }}
{{- end }}
{{- end }}

{{/* The HPA's bounds: the schema checks each one, this their order. */}}
{{- define "graceful.validateAutoscaling" -}}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) }}
{{- fail (printf "autoscaling.minReplicas (%d) must not be greater than autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}
