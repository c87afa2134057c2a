/**
 * Metadata keys of the route-access decorators in core/http (@Public, @ScrapeTokenOrAdmin). The
 * global auth guard reads them; they live here so the guard needs nothing from an http/ folder.
 */
export const IS_PUBLIC_KEY = 'sluice:public';
export const SCRAPE_TOKEN_KEY = 'sluice:scrape-token';
