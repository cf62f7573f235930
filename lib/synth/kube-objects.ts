import { k8s } from '../core/cdk8s-plus';
import { withPlainJson } from './plain-json';

// The generated Kubernetes classes this library creates, each serializing without cdk8s's resolver
// walk when that walk cannot change its JSON (see `plainApiObjectJson`). They are the same classes
// (`instanceof k8s.KubeDeployment` holds) and write the same bytes.

export const KubeClusterRole = withPlainJson(k8s.KubeClusterRole, k8s.toJson_KubeClusterRoleProps);
export const KubeClusterRoleBinding = withPlainJson(k8s.KubeClusterRoleBinding, k8s.toJson_KubeClusterRoleBindingProps);
export const KubeDaemonSet = withPlainJson(k8s.KubeDaemonSet, k8s.toJson_KubeDaemonSetProps);
export const KubeDeployment = withPlainJson(k8s.KubeDeployment, k8s.toJson_KubeDeploymentProps);
export const KubeHorizontalPodAutoscalerV2 = withPlainJson(k8s.KubeHorizontalPodAutoscalerV2, k8s.toJson_KubeHorizontalPodAutoscalerV2Props);
export const KubeNamespace = withPlainJson(k8s.KubeNamespace, k8s.toJson_KubeNamespaceProps);
export const KubeNetworkPolicy = withPlainJson(k8s.KubeNetworkPolicy, k8s.toJson_KubeNetworkPolicyProps);
export const KubePersistentVolumeClaim = withPlainJson(k8s.KubePersistentVolumeClaim, k8s.toJson_KubePersistentVolumeClaimProps);
export const KubePodDisruptionBudget = withPlainJson(k8s.KubePodDisruptionBudget, k8s.toJson_KubePodDisruptionBudgetProps);
export const KubePriorityClass = withPlainJson(k8s.KubePriorityClass, k8s.toJson_KubePriorityClassProps);
export const KubeRuntimeClass = withPlainJson(k8s.KubeRuntimeClass, k8s.toJson_KubeRuntimeClassProps);
export const KubeService = withPlainJson(k8s.KubeService, k8s.toJson_KubeServiceProps);
export const KubeServiceAccount = withPlainJson(k8s.KubeServiceAccount, k8s.toJson_KubeServiceAccountProps);
export const KubeStatefulSet = withPlainJson(k8s.KubeStatefulSet, k8s.toJson_KubeStatefulSetProps);
