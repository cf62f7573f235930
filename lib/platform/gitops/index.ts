export * from './argo-cd-application';
export * from './layer-chart';
