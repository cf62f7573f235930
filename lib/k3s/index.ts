export * from './k3s-cluster';
