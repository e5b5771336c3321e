{{/* Release-scoped name, at most 63 characters (a DNS label). */}}
{{- define "ticketing.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ticketing.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ticketing.labels" -}}
{{ include "ticketing.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "ticketing.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "ticketing.fullname" .) -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The replica count the PDB must stay below: the HPA floor when autoscaling, else replicaCount. */}}
{{- define "ticketing.minimumReplicas" -}}
{{- if .Values.autoscaling.enabled -}}
{{- .Values.autoscaling.minReplicas -}}
{{- else -}}
{{- .Values.replicaCount -}}
{{- end -}}
{{- end -}}

{{/* Environment variables the app reads from existingSecret, one secretKeyRef each. */}}
{{- define "ticketing.secretEnvNames" -}}
{{- list "TICKETING_REDIS_URL" "TICKETING_DATABASE_URL" "TICKETING_ADMIN_TOKEN" "TICKETING_SECRET" | toJson -}}
{{- end -}}

{{/* The kubernetes.io/tls Secret the pods serve HTTPS with: tls.secretName, else the chart-generated one. */}}
{{- define "ticketing.tlsSecretName" -}}
{{- .Values.tls.secretName | default (printf "%s-tls" (include "ticketing.fullname" .)) -}}
{{- end -}}

{{/* Where the pod reads tls.crt and tls.key from the TLS Secret. */}}
{{- define "ticketing.tlsMountPath" -}}
/etc/ticketing/tls
{{- end -}}

{{/* What the kubelet probes speak: HTTPS once the app serves it. */}}
{{- define "ticketing.probeScheme" -}}
{{- ternary "HTTPS" "HTTP" .Values.tls.enabled -}}
{{- end -}}
