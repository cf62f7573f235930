// The public API: constructs, their props and the value classes users pass to them, in the order
// of the data path. Internal helpers stay in their modules.

// Cameras
export { CameraInventory, StreamTransport } from './cameras/camera-inventory';
export type { CameraCredentials, CameraSpec } from './cameras/camera-inventory';
export { StreamSelection } from './cameras/stream-selection';
export type { IStreamSource, SourceCamera, StreamSource } from './cameras/stream-source';

// Ingest
export { CREDENTIALS_RENDERER_IMAGE, MEDIAMTX_IMAGE, SHARD_LABEL, StreamIngest } from './ingest/stream-ingest';
export type { IngestShard, StreamIngestProps } from './ingest/stream-ingest';

// Analysis
export { ANALYSIS_CONFIG_DIR, AnalysisService } from './analysis/analysis-service';
export type { AnalysisServiceProps, HealthPaths } from './analysis/analysis-service';
export { Scaling, ScalingKind } from './synth/scaling';
export type { GpuUtilizationScalingOptions, PrometheusScalingOptions, QueueSizeScalingOptions } from './synth/scaling';

// Inference
export * from './inference/gpu-inventory';
export * from './inference/gpu-worker-pool';
export * from './inference/model-repository';
export * from './inference/inference-scaling';
export * from './inference/gpu-node-support';
export type { IInferenceEndpoint, InferenceEndpoint } from './inference/inference-endpoint';

// Monitoring
export * from './monitoring/monitoring-bundle';
export { AlertSeverity, RUNBOOK_BASE_URL, runbookUrl } from './monitoring/alert-rules';
export type { AlertRule, IRuleSource, RecordingRule, RuleGroup } from './monitoring/alert-rules';
export type { IScrapeTarget, ScrapeTarget } from './monitoring/scrape-target';

// Platform
export * from './platform/video-analytics-platform';
export { PlatformNamespace, PodSecurityLevel } from './platform/platform-namespace';
export type { PlatformNamespaceProps } from './platform/platform-namespace';
export { PlatformPriorities } from './platform/platform-priorities';
export { PrivateRegistry, REGISTRY_IMAGE } from './platform/private-registry';
export type { PrivateRegistryProps } from './platform/private-registry';
export { RegistrySettings } from './platform/registry-settings';
export type { RegistrySettingsProps } from './platform/registry-settings';
export { GPU_NODE_TAINT, K3sCluster } from './platform/k3s/k3s-cluster';
export type { K3sClusterProps, K3sGpuAgent, K3sRegistryMirror, K3sServer } from './platform/k3s/k3s-cluster';
export { EtcdS3Backup } from './platform/k3s/etcd-snapshots';
export type { EtcdS3Bucket, EtcdSnapshotOptions } from './platform/k3s/etcd-snapshots';
export { EvictionThreshold } from './platform/k3s/kubelet-reservations';
export type { EvictionThresholds, KubeletReservations, ResourceReservation } from './platform/k3s/kubelet-reservations';
export { K3S_HARDENING_PATHS, PROTECTED_KERNEL_SETTINGS } from './platform/k3s/k3s-hardening';
export { K3sUpgradePlans, Weekday } from './platform/k3s/k3s-upgrade-plans';
export type { K3sUpgradePlansProps, MaintenanceWindow } from './platform/k3s/k3s-upgrade-plans';
export { KEDA_CHART_VERSION, KedaInstallation } from './platform/k3s/keda-installation';
export { DESCHEDULER_CHART_VERSION, DeschedulerInstallation } from './platform/k3s/descheduler-installation';
export type { DeschedulerInstallationProps } from './platform/k3s/descheduler-installation';
export type { KedaInstallationProps } from './platform/k3s/keda-installation';
export { ArgoCdApplication } from './platform/gitops/argo-cd-application';
export type { ArgoCdApplicationProps, AutoscaledWorkload } from './platform/gitops/argo-cd-application';
export { ArgoCdApplicationSet } from './platform/gitops/argo-cd-application-set';
export type { ArgoCdApplicationSetProps, FleetSiteApplication } from './platform/gitops/argo-cd-application-set';
export { LayerChart, SYNC_WAVE_ANNOTATION } from './platform/gitops/layer-chart';
export type { LayerChartProps } from './platform/gitops/layer-chart';

// Fleet: many sites, one K3s cluster each, from one program
export { VideoAnalyticsFleet } from './platform/fleet/video-analytics-fleet';
export type { FleetGitOpsOptions, VideoAnalyticsFleetProps } from './platform/fleet/video-analytics-fleet';
export { FleetSite } from './platform/fleet/fleet-site';
export type { FleetSiteHook, FleetSiteProps, FleetSiteWave } from './platform/fleet/fleet-site';
export { FleetDetection, FleetInferencePool } from './platform/fleet/fleet-workloads';
export type { FleetDetectionOptions } from './platform/fleet/fleet-workloads';
export { CentralPrometheus } from './platform/fleet/central-prometheus';
export type { CentralSiteOptions } from './platform/fleet/central-prometheus';
export { FLEET_SITE_LABEL } from './platform/fleet/fleet-cameras';
export type { FleetClusterSettings, FleetGpuSettings, FleetSettings, FleetSiteSettings } from './platform/fleet/fleet-settings';

// Relationships and scope-wide settings
export { Connections } from './synth/connections';
export type { AllowFromOptions, ConnectionsOptions, IConnectable } from './synth/connections';
export type { IPrometheusClient, PrometheusEndpoint } from './synth/autoscaler';
export { PriorityTier, SINGLE_REPLICA_REASON_ANNOTATION } from './synth/pod/builder';
export type { ContainerOptions } from './synth/pod/builder';
export { ScopeSettings } from './synth/pod/scope-settings';
export type { PriorityClassNames, ScopeSettingsProps, ScopedPodProps } from './synth/pod/scope-settings';

// Reports
export { CapacityReport } from './reports/capacity-report';
export { FleetCapacityReport } from './reports/fleet-capacity-report';
export type { FleetCapacityFigures, FleetCapacityReportData, FleetCapacitySite, FleetSiteCapacity } from './reports/fleet-capacity-report';
export type { ManifestText } from './reports/validation-report';
export { MarkdownReport } from './reports/beside-output';
export type { BesideOutputOptions } from './reports/beside-output';
export { PlatformDiagram } from './reports/platform-diagram';
export type {
  DiagramDetection, DiagramGpuNodes, DiagramIngest, DiagramPool, DiagramPrometheus, DiagramSite, PlatformDiagramData, PlatformDiagramFileOptions, PlatformDiagramOptions,
} from './reports/platform-diagram';
export type {
  CapacityReportData, CapacityReportFileOptions, CapacityReportOptions, CpuMemory, GpuInventoryCapacity, InferencePoolCapacity, MinMax,
  NamespaceCapacity, RequestsAndLimits, ResourceTotals, SiteCapacity, SiteDetectionCapacity, WorkloadCapacity,
} from './reports/capacity-report';

// Synthesis: the App for layered platforms, validation and policies
export { LayeredApp } from './synth/layered-app';
export type { LayeredAppProps, ManifestFile } from './synth/layered-app';
export { APPLY_ORDER, ApplyOrderedChart } from './synth/apply-order';
export { ManifestValidationPlugin } from './synth/validation/cdk8s-plugin';
export type { ManifestValidationPluginProps, PluginReport, PluginValidationContext, PluginViolatingResource } from './synth/validation/cdk8s-plugin';
export { ManifestValidator } from './synth/validation/manifest-validator';
export type { KubeObject, ValidateObjectsOptions, ValidationResult } from './synth/validation/manifest-validator';
export { ValidationRule } from './synth/validation/violation';
export type { ObjectReference, Violation } from './synth/validation/violation';
export { PlatformPolicies } from './synth/policy/platform-policies';
export type { PlatformPoliciesOptions } from './synth/policy/platform-policies';
export { Policy } from './synth/policy/policy-finding';
export type { PolicyFinding } from './synth/policy/policy-finding';
