import { Injectable, NestMiddleware } from '@nestjs/common';
import { DomainError, UnauthorizedError } from '@sluice/core';
import type { NextFunction, Request, Response } from 'express';
import { DASHBOARD_COOKIE, DashboardSessionService } from './dashboard-session.service';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

const HOW_TO_OPEN = `fetch('/api/v1/auth/dashboard-session', {
  method: 'POST',
  headers: { authorization: 'Bearer ' + accessToken },
}).then(() => location.reload());`;

/**
 * Guards every path of the queue dashboard (page, /api, /static): Bull Board is middleware, so
 * the global guard never sees these requests. Runs after cookie-parser.
 */
@Injectable()
export class DashboardAuthMiddleware implements NestMiddleware {
  constructor(private readonly sessions: DashboardSessionService) {}

  async use(req: Request & { requestId?: string }, res: Response, next: NextFunction): Promise<void> {
    try {
      const bearer = req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
      const cookie = (req.cookies as Record<string, string> | undefined)?.[DASHBOARD_COOKIE];
      if (bearer) await this.sessions.fromAccessToken(bearer);
      else if (cookie) await this.sessions.fromCookie(cookie);
      else {
        throw new UnauthorizedError(
          'DASHBOARD_UNAUTHORIZED',
          'No dashboard session: an admin of the operator tenant opens one with POST /api/v1/auth/dashboard-session',
        );
      }
    } catch (error) {
      // A person at a browser gets a page saying how to get in; scripts get the usual error body.
      if (error instanceof DomainError && req.accepts(['json', 'html']) === 'html') {
        this.refusalPage(res, error, req.requestId ?? 'unknown');
        return;
      }
      throw error;
    }
    next();
  }

  private refusalPage(res: Response, error: DomainError, requestId: string): void {
    const title = error.status === 401 ? 'Sign-in needed' : 'Not allowed';
    res
      .status(error.status)
      .type('html')
      .setHeader('Cache-Control', 'no-store')
      .send(
        `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Queue dashboard: ${title}</title></head>
<body>
<h1>Queue dashboard: ${title.toLowerCase()}</h1>
<p>${escapeHtml(error.message)} (${escapeHtml(error.code)}).</p>
<p>The dashboard shows the jobs of every tenant. An admin of the operator tenant (<code>DASHBOARD_TENANT</code>)
opens it by calling <code>POST /api/v1/auth/dashboard-session</code> with an access token from
<code>POST /api/v1/auth/login</code>. The answer sets a short-lived cookie for this page. From this
page's developer console, with the token in <code>accessToken</code>:</p>
<pre>${escapeHtml(HOW_TO_OPEN)}</pre>
<p>Request id: <code>${escapeHtml(requestId)}</code></p>
</body></html>
`,
      );
  }
}
