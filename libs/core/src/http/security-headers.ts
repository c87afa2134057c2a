import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/** One policy for the API, Swagger UI and the queue dashboard: nothing loads from other sites. */
const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  // Swagger UI sets inline styles.
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * Helmet's headers, with the two that only make sense over HTTPS sent only then: over plain
 * HTTP, `upgrade-insecure-requests` makes a browser fetch /docs' scripts from https:// (nothing
 * loads) and HSTS is ignored anyway. "Over HTTPS" is `httpsOnly` (the deployment is reached
 * only through TLS), or a request that arrived over TLS, which with `trust proxy` includes
 * `X-Forwarded-Proto: https` from the proxy.
 */
export function securityHeaders(httpsOnly: boolean): RequestHandler {
  const secure = helmet({ contentSecurityPolicy: { directives: CSP } });
  const plain = helmet({
    contentSecurityPolicy: { directives: { ...CSP, upgradeInsecureRequests: null } },
    strictTransportSecurity: false,
  });
  return (req: Request, res: Response, next: NextFunction) =>
    (httpsOnly || req.secure ? secure : plain)(req, res, next);
}
