export * from './argo-cd-application';
