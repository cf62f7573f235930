export * from './policy-finding';
export * from './platform-policies';
