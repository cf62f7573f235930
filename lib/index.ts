export * from './validation';
export * from './platform-namespace';
export * from './scrape-target';
export * from './camera-inventory';
export * from './stream-ingest';
export * from './alert-rules';
export * from './inference-endpoint';
