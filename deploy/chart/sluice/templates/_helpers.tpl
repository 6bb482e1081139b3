{{/* The release's full name: the release name, or <release>-sluice when it does not say sluice. */}}
{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end -}}

{{/* selectorLabels: pass (dict "ctx" $ "component" "api") */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sluice.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
Environment of every Sluice container: the settings ConfigMap, then secret references (never
values), then plain extras. pass (dict "ctx" $ "api" true|false "nodeOptions" "...").
*/}}
{{- define "sluice.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "sluice.fullname" .ctx }}
env:
  - name: NODE_OPTIONS
    value: {{ .nodeOptions | quote }}
  {{- if and .api .ctx.Values.secrets.apiTokens.name }}
  - name: SLUICE_API_TOKENS
    valueFrom:
      secretKeyRef:
        name: {{ .ctx.Values.secrets.apiTokens.name }}
        key: {{ required "secrets.apiTokens.key is required" .ctx.Values.secrets.apiTokens.key }}
  {{- end }}
  {{- with .ctx.Values.secrets.payloadKey }}
  # the AES key that encrypts Temporal payloads: API and workers must share it
  - name: SLUICE_CODEC_KEY
    valueFrom:
      secretKeyRef:
        name: {{ required "secrets.payloadKey.name is required" .name }}
        key: {{ required "secrets.payloadKey.key is required" .key }}
  {{- end }}
  {{- range .ctx.Values.secrets.env }}
  - name: {{ required "secrets.env[].env is required" .env }}
    valueFrom:
      secretKeyRef:
        name: {{ required "secrets.env[].name (the Secret) is required" .name }}
        key: {{ required "secrets.env[].key is required" .key }}
        {{- if .optional }}
        optional: true
        {{- end }}
  {{- end }}
  {{- with .ctx.Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* pod-level settings shared by the api, worker and loadtest pods */}}
{{- define "sluice.podCommon" -}}
serviceAccountName: {{ include "sluice.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* the writable scratch space under a read-only root filesystem */}}
{{- define "sluice.tmpVolume" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 256Mi
{{- end -}}

{{- define "sluice.tmpMount" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end -}}

{{/* spread over nodes: pass (dict "ctx" $ "component" "worker") */}}
{{- define "sluice.topologySpread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "sluice.selectorLabels" . | nindent 8 }}
{{- end -}}

{{/* the ServiceMonitor decision: enabled true, or auto and the CRD is served */}}
{{- define "sluice.serviceMonitorEnabled" -}}
{{- $v := toString .Values.metrics.serviceMonitor.enabled -}}
{{- if or (eq $v "true") (and (eq $v "auto") (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor")) -}}
true
{{- end -}}
{{- end -}}
