export * from './auth.module';
export * from './dashboard/queue-dashboard.module';
export * from './decorators/authenticated.decorator';
export * from './decorators/current-user.decorator';
export * from './http/auth-http.module';
export * from './role';
export * from './services/api-key.service';
export * from './services/tenant.service';
