export * from './violation';
export * from './manifest-validator';
export * from './cdk8s-plugin';
