{{/* ClickHouseInstallation name: the operator's Service is clickhouse-<name> (HTTP 8123) */}}
{{- define "ch.name" -}}sluice{{- end -}}
{{/* ClickHouseKeeperInstallation name: the operator's Service is keeper-<name> (2181) */}}
{{- define "ch.keeperName" -}}sluice-keeper{{- end -}}

{{/* pass (dict "mode" "required|preferred" "labels" (dict ...)) */}}
{{- define "ch.antiAffinity" -}}
podAntiAffinity:
  {{- if eq .mode "required" }}
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- toYaml .labels | nindent 10 }}
  {{- else }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- toYaml .labels | nindent 12 }}
  {{- end }}
{{- end -}}
