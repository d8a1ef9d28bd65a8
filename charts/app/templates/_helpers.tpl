{{- define "app.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "app.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- /* The pods' labels: no helm.sh/chart, whose version changes with every commit (Flux
builds the chart with reconcileStrategy: Revision), so a commit that leaves the pod
template alone restarts no pod. */ -}}
{{- define "app.podLabels" -}}
{{ include "app.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "app.labels" -}}
{{ include "app.podLabels" . }}
helm.sh/chart: {{ include "app.chart" . }}
{{- end -}}

{{- /* Chart name and version as `helm create` writes them: Flux versions this chart
`<version>+<commit>`, and `+` is not allowed in a label value. */ -}}
{{- define "app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /* The Secret the ExternalSecret writes and the pods mount. */ -}}
{{- define "app.databaseSecret" -}}
{{ include "app.fullname" . }}-database
{{- end -}}
