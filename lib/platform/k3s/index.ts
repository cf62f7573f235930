export * from './k3s-cluster';
export * from './k3s-upgrade-plans';
export * from './keda-installation';
export { EtcdS3Backup } from './etcd-snapshots';
export type { EtcdS3Bucket, EtcdSnapshotOptions } from './etcd-snapshots';
export { EvictionThreshold } from './kubelet-reservations';
export type { EvictionThresholds, KubeletReservations, ResourceReservation } from './kubelet-reservations';
export { K3S_HARDENING_PATHS, PROTECTED_KERNEL_SETTINGS } from './k3s-hardening';
