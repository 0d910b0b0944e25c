{{- define "archipel.fullname" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "archipel.labels" -}}
app.kubernetes.io/name: archipel
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "archipel.selector" -}}
app.kubernetes.io/name: archipel
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "archipel.secretName" -}}
{{ include "archipel.fullname" . }}-secrets
{{- end -}}
