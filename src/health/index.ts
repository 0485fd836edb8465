export { health, type Health, type HealthStatus } from './health.js';
