{{- define "nr.name" -}}{{ .Chart.Name }}{{- end -}}
{{- define "nr.fullname" -}}{{ printf "%s" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "nr.labels" -}}
app.kubernetes.io/name: {{ include "nr.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
{{- define "nr.selector" -}}
app.kubernetes.io/name: {{ include "nr.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "nr.namespacedRules" -}}
- apiGroups: [reconciler.neonsync.dev]
  resources: [databasesyncs]
  verbs: [get, list, watch, patch, update]
- apiGroups: [reconciler.neonsync.dev]
  resources: [databasesyncs/status]
  verbs: [get, patch, update]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: [""]
  resources: [configmaps]
  # get: the manifests a DatabaseSync reads; list and watch: packaged ConfigMaps (by label),
  # so a changed package re-runs its DatabaseSyncs at once
  verbs: [get, list, watch]
- apiGroups: [kopf.dev]
  resources: [kopfpeerings]
  verbs: [list, watch, patch, get]
{{- end -}}
