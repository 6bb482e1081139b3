{{/* the Kafka resource's name; Strimzi's bootstrap Service is <name>-kafka-bootstrap */}}
{{- define "kafka.name" -}}sluice-kafka{{- end -}}

{{/* pod anti-affinity over nodes: pass (dict "mode" "required|preferred" "labels" (dict ...)) */}}
{{- define "kafka.antiAffinity" -}}
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
