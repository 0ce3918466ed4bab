export * from './free-port';
export * from './wait-for-health';
export * from './stack-launcher';
export * from './nats-server-config';
