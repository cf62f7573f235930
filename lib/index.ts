export * from './validation';
export * from './platform-namespace';
