export { hasHealthRule, health, type Health, type HealthStatus } from './health.js';
