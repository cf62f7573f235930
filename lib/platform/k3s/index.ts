export * from './k3s-cluster';
export * from './k3s-upgrade-plans';
export * from './keda-installation';
