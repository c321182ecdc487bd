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
The mesh's pod annotations, as YAML. Classic sidecars are held for the runtime's whole budget (rounded up to seconds):
Istio until the app has no connections left, Linkerd by delaying its SIGTERM.
*/}}
{{- define "graceful.meshAnnotations" -}}
{{- $budgetSeconds := div (add (sub (mul (int .Values.terminationGracePeriodSeconds) 1000) (int .Values.shutdown.deadlineMarginMillis)) 999) 1000 }}
{{- if .Values.mesh.istio.enabled }}
{{- if .Values.mesh.istio.nativeSidecar }}
sidecar.istio.io/nativeSidecar: "true"
{{- else }}
proxy.istio.io/config: |
  holdApplicationUntilProxyStarts: true
  terminationDrainDuration: {{ $budgetSeconds }}s
  proxyMetadata:
    EXIT_ON_ZERO_ACTIVE_CONNECTIONS: "true"
{{- end }}
{{- end }}
{{- if .Values.mesh.linkerd.enabled }}
linkerd.io/inject: enabled
config.linkerd.io/proxy-await: enabled
{{- if .Values.mesh.linkerd.nativeSidecar }}
config.alpha.linkerd.io/proxy-enable-native-sidecar: "true"
{{- else }}
config.alpha.linkerd.io/proxy-wait-before-exit-seconds: {{ $budgetSeconds | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* The HPA's bounds: the schema checks each one, this their order. */}}
{{- define "graceful.validateAutoscaling" -}}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) }}
{{- fail (printf "autoscaling.minReplicas (%d) must not be greater than autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}
