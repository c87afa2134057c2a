// Generated from openapi.json by openapi-typescript (npm run sdk). Do not edit by hand.
/* eslint-disable */
export interface paths {
  '/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Name, version and where the docs are
     * @description The service's name and version, and the paths of the API, its documentation and this document. Open to anyone.
     */
    get: operations['service_info'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/metrics': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Prometheus metrics
     * @description For a scraper sending METRICS_TOKEN as its bearer token (Prometheus: `authorization.credentials`), or for an admin (access token or admin API key). Without METRICS_TOKEN set, admins only.
     */
    get: operations['service_metrics'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/health/live': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Liveness: the process answers
     * @description Answers 200 while the process runs, without touching the database or Redis: for liveness probes. Open to anyone, never rate-limited.
     */
    get: operations['health_live'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/health/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Readiness: the database and Redis answer
     * @description Answers 503 with `details` naming each dependency that is down.
     */
    get: operations['health_ready'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/login': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Sign in with e-mail and password
     * @description Returns a short-lived access token and a single-use refresh token. Rate-limited per IP and per account.
     */
    post: operations['auth_login'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/refresh': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Trade a refresh token for a new token pair
     * @description Each refresh token works once; reusing one signs the user out everywhere.
     */
    post: operations['auth_refresh'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/logout': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Revoke a refresh token
     * @description Revokes the refresh token sent in the body so it can no longer be traded. Access tokens already issued stay valid until they expire; POST /auth/logout-all ends those too.
     */
    post: operations['auth_logout'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/logout-all': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Sign out everywhere
     * @description Revokes every refresh token of the account and ends every access token issued so far, this one included, on every API instance at once. For users only: an API key is revoked with DELETE /api-keys/{id} (403 NEEDS_USER).
     */
    post: operations['auth_logoutEverywhere'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/me': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Who am I: user, tenant, role and every tenant I belong to
     * @description The signed-in user (or the API key's tenant), the tenant this request acts in with the role held there, and every tenant the account belongs to.
     */
    get: operations['auth_me'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/auth/dashboard-session': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Open the queue dashboard in this browser
     * @description Sets a short-lived HttpOnly cookie (DASHBOARD_SESSION_TTL_SECONDS) that opens /admin/queues. The dashboard shows the jobs of every tenant, so only admins of the operator tenant (DASHBOARD_TENANT) get one; others get 403 DASHBOARD_FORBIDDEN. The cookie is no API token, and an API token is no cookie.
     */
    post: operations['auth_openDashboardSession'];
    /**
     * Remove the queue dashboard cookie
     * @description Clears the cookie that POST /auth/dashboard-session set for the queue dashboard at /admin/queues.
     */
    delete: operations['auth_closeDashboardSession'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/users': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List the users of this tenant
     * @description One page of the users holding a membership in this tenant, with their role. Admins only.
     */
    get: operations['users_list'];
    put?: never;
    /**
     * Invite a user to this tenant
     * @description Makes an invitation, whatever the e-mail, and answers the same for every e-mail: nothing tells whether an account exists, nor anything about it. A new e-mail gets an account with this password; its first sign-in accepts the invitation. An existing account keeps its password and joins only when its owner accepts (GET /invitations, POST /invitations/{id}/accept). Until then the user is not in GET /users; the invitation is in GET /users/invitations. 409 USER_EXISTS when already a member here, INVITATION_PENDING when this e-mail already has a pending invitation here.
     */
    post: operations['users_create'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/users/invitations': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List this tenant's invitations
     * @description Newest first; `?status=pending` for those still waiting for an answer.
     */
    get: operations['users_listInvitations'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/users/invitations/{invitationId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Revoke a pending invitation
     * @description It can no longer be accepted. An account the invitation created, never signed in to, is deleted with it.
     */
    delete: operations['users_revokeInvitation'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/users/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Get a user of this tenant
     * @description A user of this tenant with their role; a user of another tenant is a 404. Admins only.
     */
    get: operations['users_get'];
    /**
     * Change name, role, password or disabled state
     * @description Only the fields sent change. The last active admin cannot be demoted or disabled (409 LAST_ADMIN). An account whose owner accepted an invitation to other tenants keeps its name, password and disabled state (409 ACCOUNT_SHARED); its role here can change, and it can be removed from here. A pending invitation elsewhere does not make it shared. A new password or a disable ends its access tokens at once.
     */
    put: operations['users_update'];
    post?: never;
    /**
     * Remove a user from this tenant
     * @description The last active admin cannot be removed (409).
     */
    delete: operations['users_delete'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/invitations': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * My pending invitations
     * @description Invitations to the e-mail of the signed-in account, from any tenant, still pending and unexpired. Signed-in users only (an API key gets 403 NEEDS_USER).
     */
    get: operations['invitations_listMine'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/invitations/{id}/accept': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Accept an invitation
     * @description Joins its tenant with its role; pick that tenant with X-Tenant-Id or sign in to it. An invitation to another e-mail is a 404.
     */
    post: operations['invitations_accept'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/invitations/{id}/decline': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Decline an invitation
     * @description The account stays out of that tenant; its admins see the invitation declined.
     */
    post: operations['invitations_decline'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/api-keys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List API keys of this tenant (never the keys themselves)
     * @description One page of the API keys of this tenant: name, role, prefix, last use, expiry and revocation. The secret itself is shown only once, when the key is created.
     */
    get: operations['apiKeys_list'];
    put?: never;
    /**
     * Create an API key
     * @description The response holds the key once; only a hash is stored. The key acts with the role given.
     */
    post: operations['apiKeys_create'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/api-keys/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Revoke an API key
     * @description Requests with it get 401 from now on.
     */
    delete: operations['apiKeys_revoke'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connector-types': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Connector types with their capabilities and the JSON Schemas of config and authConfig
     * @description Each type carries its category and readiness (ready or coming_soon); both can filter the list. The answer has the `{data, pagination}` shape of every list, with all matching types in one page.
     */
    get: operations['connectorTypes_list'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List connectors
     * @description Filters: type, status, role, q (name or description).
     */
    get: operations['connectors_list'];
    put?: never;
    /**
     * Create a connector
     * @description config and authConfig are checked against the JSON Schemas of the type; authConfig is encrypted and never returned. A secret the server generates because none was sent (the signing secret of a webhook connector) is shown once, in generatedSecrets of this answer.
     */
    post: operations['connectors_create'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/test-connection': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Test an unsaved configuration
     * @description Accepts { type, config, authConfig } or the connection-string form { type, connection, ssl }. Nothing is stored.
     */
    post: operations['connectors_testConnection'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/test': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Test a saved connector named in the body
     * @description The same as POST /connectors/{id}/test, with the id in the body ({ "id": "conn_…" }).
     */
    post: operations['connectors_testById'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Get a connector
     * @description The connector with its config (secrets masked, never returned), status and last test, sync and use.
     */
    get: operations['connectors_get'];
    /**
     * Change a connector
     * @description Only the fields sent change. authConfig: omitted → kept; {} → wiped; otherwise replaced, with fields sent as ******** kept. status: active | inactive.
     */
    put: operations['connectors_update'];
    post?: never;
    /**
     * Delete a connector and what belongs to it
     * @description Deletes the connector with its documents, runs, schema cache and annotations, after stopping its sync. A managed connector (one the platform created) answers 409.
     */
    delete: operations['connectors_delete'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/test': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Test a connector with a real connection
     * @description Sets status to active on success and error on failure. Paused for a cool-down after repeated failures.
     */
    post: operations['connectors_test'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/health': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Health from the last probe
     * @description What the last probe (POST /connectors/{id}/test or a sync) found, without opening a new connection.
     */
    get: operations['connectors_health'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/upload': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Upload the file of a local_file connector (also POST /connectors/{id}:upload)
     * @description The raw body is streamed to storage, hashed and indexed; the connector becomes active. Over MAX_UPLOAD_BYTES: 413 and nothing is kept. An interrupted upload keeps nothing.
     */
    post: operations['connectors_upload'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/content': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Read a window of the uploaded file
     * @description Line windows (offset, limit) use the line index built at upload; byte windows (bytesStart, bytesEnd) read exactly that range.
     */
    get: operations['connectors_content'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/sync': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Sync a connector into documents
     * @description Answers 202 with a new run, or 200 with the run already queued or running (one at a time per connector).
     */
    post: operations['connectors_sync'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/scan-files': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * List the files of a file connector into documents
     * @description Like sync, for file connectors (folder, local_file); 400 for SQL connectors.
     */
    post: operations['connectors_scanFiles'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/runs/{runId}/events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Server-sent events of a run: `progress` as it changes, then `final`
     * @description Each event carries the run as in GET /connectors/{id}/runs/{runId}; the stream ends after `final`, or when the run or its connector is deleted. A user (or API key) may hold MAX_EVENT_STREAMS_PER_USER streams at once across all API instances; one more answers 429 TOO_MANY_STREAMS.
     */
    get: operations['connectors_runEvents'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/stop': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Stop the running sync
     * @description A queued run is cancelled at once; a running one ends cancelled at its next batch boundary.
     */
    post: operations['connectors_stop'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/train': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Mark tables as trained for NL2SQL
     * @description SQL connectors only. Sets `metadata.trained` and `trainedAt` on each table or view document; trained tables are preferred when a question is turned into SQL. Each id gets a result: a document that is missing, not a table, deleted at the source, or without DDL fails with its reason and the others go on.
     */
    post: operations['connectors_train'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/runs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Sync runs of a connector, newest first
     * @description One page of the sync and scan runs of the connector, newest first, with their counts and outcome.
     */
    get: operations['connectors_runs'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/runs/{runId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * One sync run with its progress
     * @description A sync run with its status, counts, progress and error; GET .../events follows it live.
     */
    get: operations['connectors_run'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/documents': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Documents of a connector
     * @description Filters: status, q (name or path).
     */
    get: operations['documents_list'];
    put?: never;
    /**
     * Add a document by hand
     * @description Kind `record`; a sync never marks it deleted.
     */
    post: operations['documents_create'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/documents/{docId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Get a document
     * @description A document of the connector: name, path, kind, status, checksum, metadata and when it was synced. Its text is at GET .../content.
     */
    get: operations['documents_get'];
    /**
     * Rename a document, merge metadata, or replace the text of one added by hand
     * @description Changes the name, merges metadata keys into the existing ones, or replaces the text of a document that was added by hand (a synced one answers 400).
     */
    put: operations['documents_update'];
    post?: never;
    /**
     * Delete a document
     * @description A later sync brings it back if the source still has it.
     */
    delete: operations['documents_delete'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/documents/{docId}/sync': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Sync one document again
     * @description Re-reads this one file or table from the source, whatever its state (synced, failed, stopped, deleted). Answers 202 with the document `queued`, or 200 when a sync of it is already queued or running. A document the source no longer has ends `deleted`; a failure ends `failed` with its reason.
     */
    post: operations['documents_sync'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/documents/{docId}/stop': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Stop the sync of one document
     * @description The document ends `stopped` and keeps what it had; a result the worker finds after the stop is dropped.
     */
    post: operations['documents_stop'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/documents/{docId}/content': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Content of a document
     * @description Files: the same line and byte windows as the connector content route. Tables and views: their DDL. Hand-made documents: their text.
     */
    get: operations['documents_content'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/hooks/{connectorId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Receive records pushed to a webhook connector
     * @description Public (no token): authenticated by the signature. Each record becomes a document of the connector (kind record, id from config.idField or a hash of the record; a record pushed again with the same id replaces its document). A replay of an accepted (timestamp, signature) is refused. Any untrusted push gets the same 401 WEBHOOK_REJECTED, whatever the reason (unknown or non-webhook connector id, bad or missing signature, stale timestamp, replay), and nothing is stored. Webhook connectors are never pulled: POST /connectors/{id}/sync answers 409 CONNECTOR_RECEIVES_PUSHES and pushed records are never pruned.
     */
    post: operations['hooks_receive'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/schema': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Schema of a SQL connector, with annotations merged in
     * @description Tables and views with columns, keys and relationships, from the cache (the database is not queried). The first read, `refresh=true` and every sync introspect; a cache older than SCHEMA_CACHE_TTL_SECONDS is served with `stale: true` while a refresh runs in the background. Large schemas: filter with `q` and `tables`, and page through tables with `limit` and `cursor`.
     */
    get: operations['schema_get'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/schema/tables': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The light list of tables
     * @description Name, kind, column count, description and whether it is trained; same filters and pages.
     */
    get: operations['schema_tables'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/schema/annotations': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Annotations of a connector, orphaned ones included
     * @description Every annotation of the connector, including those whose table or column no longer exists in the introspected schema (orphaned).
     */
    get: operations['schema_annotations'];
    put?: never;
    /**
     * Describe, tag or give context to a table or column
     * @description Creates or replaces the annotation of a table (no `column`) or of one column. The table and column must exist in the schema. Annotations are kept by name across refreshes and flagged `orphaned` when their table or column disappears. The tag `pii` withholds a column from viewers in NL2SQL results. Answers 201 when the annotation is new and 200 when it replaced the one of the same target.
     */
    post: operations['schema_annotate'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/connectors/{id}/schema/annotations/{annotationId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /**
     * Delete an annotation
     * @description Deletes one annotation of the connector; the schema answers without its description and context from then on.
     */
    delete: operations['schema_deleteAnnotation'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/nl2sql/query': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Ask a question: SQL generated, checked, run and explained
     * @description Links the schema, retrieves examples, asks the LLM, checks its SQL with the guard and runs it read-only, sending the precise error back for another attempt (NL2SQL_MAX_ATTEMPTS, NL2SQL_TIME_BUDGET_MS). A question matching an example reuses its SQL without the LLM. `allowMutations` is for admins. Every question is written to history. 422 NL2SQL_FAILED when no attempt gave usable SQL (the attempts are in `details`).
     */
    post: operations['nl2sql_query'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/nl2sql/query/stream': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Ask a question, with one server-sent event per stage
     * @description The same request as POST /nl2sql/query. Events: `stage` (data: { stage: linking | generating | validating | executing | answering, attempt? }) as they happen, then `result` with the same body as the plain route, or `error` with the error body.
     */
    post: operations['nl2sql_queryStream'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/nl2sql/explain': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Explain SQL in words
     * @description Written by the LLM when one is configured; otherwise (or when it fails) built from the parsed SQL: tables, joins, filters, grouping, ordering and limit. Always answers.
     */
    post: operations['nl2sql_explain'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/nl2sql/validate': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Check SQL with the guard, without running it
     * @description Parses in the connector's dialect (after transpiling from `fromDialect`), checks the read-only and function rules and the tables and columns against the cached schema, and shows the SQL that would run. Answers 200 with `ok: false` and the reasons when the SQL would be refused.
     */
    post: operations['nl2sql_validate'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/nl2sql/execute': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Run your own SQL through the guard
     * @description The same guard as generated SQL, then a read-only transaction with the statement timeout and the row cap. `allowMutations` is for admins (403 otherwise). 422 SQL_REJECTED with the reasons when refused.
     */
    post: operations['nl2sql_execute'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/settings/llm': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The tenant's LLM settings
     * @description The tenant's own settings, else the server's defaults (`source` says which). The API key is never returned.
     */
    get: operations['settings_getLlm'];
    /**
     * Set the tenant's LLM
     * @description Provider (`openai` for OpenAI and any OpenAI-compatible server, `anthropic`, `ollama`), model, base URL, API key (encrypted at rest; omitted keeps the stored one, null removes it), temperature, max tokens and timeout. The base URL must pass the safe-network guard when it is used.
     */
    put: operations['settings_putLlm'];
    post?: never;
    /**
     * Drop the tenant's LLM settings (back to the server's defaults)
     * @description Removes the tenant's provider, model and key, so NL2SQL falls back to the server's LLM settings (or answers 503 LLM_NOT_CONFIGURED without any). Admins only.
     */
    delete: operations['settings_deleteLlm'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/examples': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Few-shot examples of the tenant
     * @description Newest first. Filters: connectorId, tag, q (question or SQL, case-insensitive).
     */
    get: operations['examples_list'];
    put?: never;
    /**
     * Add an example (question → SQL)
     * @description The SQL must be exactly one statement that parses in the dialect (400 `SQL_PARSE_ERROR` with line and column, 400 `SQL_MULTIPLE_STATEMENTS`). With `connectorId`, the connector must be a SQL connector of this tenant (404 otherwise) whose dialect `dialect` equals (400 `DIALECT_MISMATCH`; left out, it is the connector's); tables and columns the connector's schema lacks are saved anyway and listed in `warnings`.
     */
    post: operations['examples_create'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/examples/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Get an example
     * @description An example question with its SQL, dialect, tags and connector.
     */
    get: operations['examples_get'];
    /**
     * Change an example
     * @description Changes the fields sent; the SQL is checked again. The SQL must be exactly one statement that parses in the dialect (400 `SQL_PARSE_ERROR` with line and column, 400 `SQL_MULTIPLE_STATEMENTS`). With `connectorId`, the connector must be a SQL connector of this tenant (404 otherwise) whose dialect `dialect` equals (400 `DIALECT_MISMATCH`; left out, it is the connector's); tables and columns the connector's schema lacks are saved anyway and listed in `warnings`.
     */
    put: operations['examples_update'];
    post?: never;
    /**
     * Delete an example
     * @description Deletes an example; NL2SQL no longer retrieves it as a few-shot example.
     */
    delete: operations['examples_delete'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/history': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Questions asked in the tenant
     * @description Every user's entries in the caller's tenant (viewers included), newest first. Filters: q (question or SQL, case-insensitive), connectorId, ok. `limit` goes up to 500. The oldest entries beyond HISTORY_MAX_PER_TENANT are deleted by an hourly job.
     */
    get: operations['history_list'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/history/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Get a history entry
     * @description Any entry of the caller's tenant, whoever asked it.
     */
    get: operations['history_get'];
    put?: never;
    post?: never;
    /**
     * Delete a history entry (admins)
     * @description Deletes one history entry of this tenant. Admins only.
     */
    delete: operations['history_delete'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/v1/history/{id}/promote': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Turn a successful entry into an example
     * @description Creates an example with the entry's question, SQL and connector, in the connector's dialect (checked like POST /examples; unknown tables or columns come back as `warnings`). A failed entry, one without SQL or one already an example (promoted earlier, or answered from a stored example as asked) is a 409.
     */
    post: operations['history_promote'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    ServiceInfoDto: {
      /** @example sluice */
      name: string;
      /** @example 0.1.0 */
      version: string;
      /**
       * @description Swagger UI
       * @example /docs
       */
      docs: string;
      /**
       * @description OpenAPI document
       * @example /openapi.json
       */
      openapi: string;
      /**
       * @description Base path of the API
       * @example /api/v1
       */
      api: string;
    };
    ErrorResponseDto: {
      /**
       * @description HTTP status code
       * @example 404
       */
      statusCode: number;
      /**
       * @description What went wrong, for people
       * @example Connector not found
       */
      error: string;
      /**
       * @description Stable machine-readable code
       * @example CONNECTOR_NOT_FOUND
       */
      code: string;
      /**
       * @description Field problems for 400 answers, one entry per field (`field`, `messages`); other codes put what they add here, such as the attempts and history entry of a failed question
       * @example [
       *       {
       *         "field": "email",
       *         "messages": [
       *           "email must be an email"
       *         ]
       *       }
       *     ]
       */
      details?: ({
        /**
         * @description The field, as a dotted path
         * @example config.ssl.mode
         */
        field?: string;
        /**
         * @example [
         *       "mode must be one of disable, require"
         *     ]
         */
        messages?: string[];
      } & {
        [key: string]: unknown;
      })[];
      /**
       * @description Id of this request, also in the X-Request-Id header and the logs
       * @example req_9x2kq1c8v0a7
       */
      requestId: string;
    };
    DependencyStatusDto: {
      /**
       * @example up
       * @enum {string}
       */
      status: 'up' | 'down';
      /**
       * @description Why it is down
       * @example connect ECONNREFUSED
       */
      message?: string;
    };
    LivenessResponseDto: {
      /**
       * @example ok
       * @enum {string}
       */
      status: 'ok';
      /**
       * @description Seconds since the process started
       * @example 42
       */
      uptimeSeconds: number;
    };
    ReadinessResponseDto: {
      /**
       * @example ok
       * @enum {string}
       */
      status: 'ok';
      /**
       * @description Each dependency and its state
       * @example {
       *       "database": {
       *         "status": "up"
       *       },
       *       "redis": {
       *         "status": "up"
       *       }
       *     }
       */
      dependencies: {
        [key: string]: components['schemas']['DependencyStatusDto'];
      };
    };
    LoginDto: {
      /**
       * Format: email
       * @description E-mail address of the account
       * @example admin@sluice.local
       */
      email: string;
      /**
       * Format: password
       * @description Password of the account
       * @example sluice-admin-password
       */
      password: string;
      /**
       * @description Tenant to sign in to, by id or name; defaults to the first tenant the user joined
       * @example Default
       */
      tenant?: string;
    };
    UserSummaryDto: {
      /** @example usr_2n5x8c1v4b7m0q3w */
      id: string;
      /** @example admin@sluice.local */
      email: string;
      /** @example Ada Admin */
      name: string;
    };
    TenantSummaryDto: {
      /** @example ten_0f3k9q2m7x1c5v8b */
      id: string;
      /** @example Default */
      name: string;
    };
    TokenResponseDto: {
      /**
       * @description Send as `Authorization: Bearer <token>`
       * @example eyJhbGciOiJIUzI1NiIs...
       */
      accessToken: string;
      /**
       * @description Trade for a new pair at POST /auth/refresh; usable once
       * @example rt_3q8Zb1x...
       */
      refreshToken: string;
      /**
       * @example Bearer
       * @enum {string}
       */
      tokenType: 'Bearer';
      /**
       * @description Seconds until the access token expires
       * @example 900
       */
      expiresIn: number;
      /**
       * @description Seconds until the refresh token expires
       * @example 1209600
       */
      refreshExpiresIn: number;
      user: components['schemas']['UserSummaryDto'];
      /** @description Tenant the tokens are for (override per request with X-Tenant-Id) */
      tenant: components['schemas']['TenantSummaryDto'];
      /**
       * @example admin
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
    };
    RefreshDto: {
      /**
       * @description Refresh token from the login or a previous refresh (single use)
       * @example rt_3q8Zb1x...
       */
      refreshToken: string;
    };
    TenantMembershipDto: {
      /** @example ten_0f3k9q2m7x1c5v8b */
      id: string;
      /** @example Default */
      name: string;
      /**
       * @example admin
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
    };
    MeResponseDto: {
      /** @description Null when calling with an API key */
      user: components['schemas']['UserSummaryDto'] | null;
      tenant: components['schemas']['TenantSummaryDto'];
      /**
       * @example editor
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
      /**
       * @example jwt
       * @enum {string}
       */
      via: 'jwt' | 'api_key';
      /** @description Every tenant this user belongs to */
      tenants: components['schemas']['TenantMembershipDto'][];
    };
    DashboardSessionResponseDto: {
      /**
       * @description Where the queue dashboard is; the session cookie is sent there only
       * @example /admin/queues
       */
      url: string;
      /**
       * Format: date-time
       * @description When the session cookie expires (DASHBOARD_SESSION_TTL_SECONDS from now)
       */
      expiresAt: string;
    };
    UserResponseDto: {
      /** @example usr_2n5x8c1v4b7m0q3w */
      id: string;
      /** @example erin@example.com */
      email: string;
      /** @example Erin Editor */
      name: string;
      /**
       * @description Role in the current tenant
       * @example editor
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
      /** @example false */
      disabled: boolean;
      /** Format: date-time */
      lastLoginAt: string | null;
      /**
       * Format: date-time
       * @description When the user joined this tenant
       */
      createdAt: string;
      /** Format: date-time */
      updatedAt: string;
    };
    PaginationDto: {
      /**
       * @description Items matching the filters, over all pages
       * @example 42
       */
      total: number;
      /**
       * @description Page size used
       * @example 20
       */
      limit: number;
      /**
       * @description Whether another page follows
       * @example true
       */
      hasMore: boolean;
      /**
       * @description Pass as `cursor` to get the next page
       * @example eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ
       */
      nextCursor: string | null;
    };
    UserPageDto: {
      /** @description Items of this page */
      data: components['schemas']['UserResponseDto'][];
      pagination: components['schemas']['PaginationDto'];
    };
    CreateUserDto: {
      /**
       * Format: email
       * @example erin@example.com
       */
      email: string;
      /** @example Erin Editor */
      name?: string;
      /**
       * Format: password
       * @description At least 10 characters: the password of the account created for a new e-mail. An existing account keeps its own (nothing in the answer tells which).
       * @example a-long-passphrase
       */
      password: string;
      /**
       * @example editor
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
    };
    InvitationResponseDto: {
      /** @example inv_3k8v1n6b0m4x7c2z */
      id: string;
      /** @example erin@example.com */
      email: string;
      /**
       * @description Role in this tenant once accepted
       * @example editor
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
      /**
       * @description `pending` until the invitee answers; `accepted` (a member now), `declined`, or `revoked` by an admin
       * @example pending
       * @enum {string}
       */
      status: 'pending' | 'accepted' | 'declined' | 'revoked';
      /**
       * Format: date-time
       * @example 2026-12-01T09:30:00.000Z
       */
      createdAt: string;
      /**
       * Format: date-time
       * @description A pending invitation can no longer be accepted after this
       * @example 2026-12-15T09:30:00.000Z
       */
      expiresAt: string;
      /**
       * Format: date-time
       * @example null
       */
      respondedAt: string | null;
    };
    InvitationPageDto: {
      /** @description Items of this page */
      data: components['schemas']['InvitationResponseDto'][];
      pagination: components['schemas']['PaginationDto'];
    };
    UpdateUserDto: {
      /** @example Erin E. */
      name?: string;
      /**
       * @description Role in this tenant
       * @example viewer
       * @enum {string}
       */
      role?: 'admin' | 'editor' | 'viewer';
      /**
       * Format: password
       * @example another-long-passphrase
       */
      password?: string;
      /**
       * @description A disabled user cannot sign in and their tokens stop working
       * @example false
       */
      disabled?: boolean;
    };
    ReceivedInvitationResponseDto: {
      /** @example inv_3k8v1n6b0m4x7c2z */
      id: string;
      tenant: components['schemas']['TenantSummaryDto'];
      /**
       * @description Role in that tenant once accepted
       * @example editor
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
      /**
       * @description `pending` until the invitee answers; `accepted` (a member now), `declined`, or `revoked` by an admin
       * @example pending
       * @enum {string}
       */
      status: 'pending' | 'accepted' | 'declined' | 'revoked';
      /**
       * Format: date-time
       * @example 2026-12-01T09:30:00.000Z
       */
      createdAt: string;
      /**
       * Format: date-time
       * @example 2026-12-15T09:30:00.000Z
       */
      expiresAt: string;
    };
    ReceivedInvitationListDto: {
      /** @description Pending invitations, newest first (at most 100) */
      data: components['schemas']['ReceivedInvitationResponseDto'][];
    };
    ApiKeyResponseDto: {
      /** @example key_7c2v9b4n1m8x3z6q */
      id: string;
      /** @example nightly export job */
      name: string;
      /**
       * @description First characters of the key, to recognise it
       * @example sk_4f9a2c1e
       */
      prefix: string;
      /**
       * @example viewer
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
      /** @example usr_2n5x8c1v4b7m0q3w */
      createdBy: string | null;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      lastUsedAt: string | null;
      /** Format: date-time */
      expiresAt: string | null;
      /** Format: date-time */
      revokedAt: string | null;
    };
    ApiKeyPageDto: {
      /** @description Items of this page */
      data: components['schemas']['ApiKeyResponseDto'][];
      pagination: components['schemas']['PaginationDto'];
    };
    CreateApiKeyDto: {
      /**
       * @description What the key is for
       * @example nightly export job
       */
      name: string;
      /**
       * @description Role the key acts with
       * @example viewer
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
      /**
       * Format: date-time
       * @description Optional expiry
       * @example 2027-01-01T00:00:00Z
       */
      expiresAt?: string;
    };
    CreatedApiKeyResponseDto: {
      /** @example key_7c2v9b4n1m8x3z6q */
      id: string;
      /** @example nightly export job */
      name: string;
      /**
       * @description First characters of the key, to recognise it
       * @example sk_4f9a2c1e
       */
      prefix: string;
      /**
       * @example viewer
       * @enum {string}
       */
      role: 'admin' | 'editor' | 'viewer';
      /** @example usr_2n5x8c1v4b7m0q3w */
      createdBy: string | null;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      lastUsedAt: string | null;
      /** Format: date-time */
      expiresAt: string | null;
      /** Format: date-time */
      revokedAt: string | null;
      /**
       * @description The key itself, shown this once only. Send as `Authorization: Bearer <key>` or `X-API-Key: <key>`.
       * @example sk_4f9a2c1e0b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
       */
      key: string;
    };
    ConnectorTypeDto: {
      /** @example postgresql */
      type: string;
      /** @example PostgreSQL */
      displayName: string;
      /**
       * @example sql
       * @enum {string}
       */
      category: 'sql' | 'files' | 'object_storage' | 'api' | 'stream';
      /** @example PostgreSQL 10 or later */
      description: string;
      /**
       * @example [
       *       "test",
       *       "introspect",
       *       "execute",
       *       "discover"
       *     ]
       */
      capabilities: string[];
      /** @enum {string} */
      dialect?: 'postgresql' | 'redshift' | 'mysql' | 'sqlite';
      /**
       * @description `coming_soon`: can be saved, edited and (where the type has a probe) tested, but not synced
       * @example ready
       * @enum {string}
       */
      readiness: 'ready' | 'coming_soon';
      /**
       * @description Config fields (dotted paths) that decide where the credentials go: changing one on update requires authConfig again
       * @example [
       *       "host",
       *       "port",
       *       "user",
       *       "database",
       *       "ssl.mode",
       *       "ssl.ca"
       *     ]
       */
      destinationFields: string[];
      /**
       * @description snapshot: each sync lists everything the source has, and documents it no longer lists are marked deleted. append: each sync brings only new items (messages taken from a queue); earlier documents stay.
       * @example snapshot
       * @enum {string}
       */
      syncMode: 'snapshot' | 'append';
      /** @description JSON Schema of `config` */
      configSchema: {
        [key: string]: unknown;
      };
      /** @description JSON Schema of `authConfig` (all secret) */
      authSchema: {
        [key: string]: unknown;
      };
    };
    ConnectorTypePageDto: {
      /** @description Items of this page */
      data: components['schemas']['ConnectorTypeDto'][];
      pagination: components['schemas']['PaginationDto'];
    };
    ConnectorResponseDto: {
      /** @example conn_4k2x9q0m1v7b3n8c */
      id: string;
      /** @example Sales warehouse */
      name: string;
      /** @example postgresql */
      type: string;
      /** @enum {string} */
      role: 'source' | 'destination';
      /** @example Read replica of the sales database */
      description: string;
      /**
       * @example {
       *       "host": "db.example.com",
       *       "port": 5432,
       *       "database": "sales",
       *       "user": "reader"
       *     }
       */
      config: {
        [key: string]: unknown;
      };
      /** @example password */
      authMethod: string | null;
      /**
       * @description Whether credentials are stored
       * @example true
       */
      authConfigured: boolean;
      /**
       * @description The stored credential fields, each masked
       * @example {
       *       "password": "********"
       *     }
       */
      authConfig: {
        [key: string]: string;
      };
      /**
       * @description Only in the answer to POST /connectors, and only for secrets the server generated because none was sent (the signing secret of a webhook connector): shown this once, in clear, never again. Store it now; to replace it, PUT a new one.
       * @example {
       *       "secret": "whsec_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d"
       *     }
       */
      generatedSecrets?: {
        [key: string]: string;
      };
      /**
       * @example active
       * @enum {string}
       */
      status: 'pending' | 'pending_upload' | 'active' | 'inactive' | 'error';
      /**
       * @description Declared in CONNECTORS_FILE: read-only through the API
       * @example false
       */
      managed: boolean;
      /** @description Type-specific facts, e.g. fileSize for uploads */
      metadata: {
        [key: string]: unknown;
      };
      /** Format: date-time */
      lastTestedAt: string | null;
      /** @example null */
      lastError: string | null;
      /** Format: date-time */
      lastSyncAt: string | null;
      /** @example 3503 */
      lastSyncRowCount: number | null;
      /** Format: date-time */
      lastUsedAt: string | null;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      updatedAt: string;
    };
    ConnectorPageDto: {
      /** @description Items of this page */
      data: components['schemas']['ConnectorResponseDto'][];
      pagination: components['schemas']['PaginationDto'];
    };
    SslOptionsDto: {
      /**
       * @example require
       * @enum {string}
       */
      mode?: 'disable' | 'require' | 'verify-full';
      /** @description PEM certificate authority for verify-full */
      ca?: string;
    };
    CreateConnectorDto: {
      /**
       * @description A connection string instead of the connection fields of config and the password (postgresql, redshift, mysql); its host, port, database, user and password are split into config and authConfig
       * @example postgresql://reader:s3cret@db.example.com:5432/sales
       */
      connection?: string;
      /** @description TLS settings for the connection-string form, only with `connection` (400 otherwise); with `config`, use `config.ssl.mode` */
      ssl?: components['schemas']['SslOptionsDto'];
      /**
       * @description A type from GET /connector-types
       * @example postgresql
       */
      type: string;
      /**
       * @description Non-secret settings, checked against the type's configSchema
       * @example {
       *       "host": "db.example.com",
       *       "port": 5432,
       *       "database": "sales",
       *       "user": "reader"
       *     }
       */
      config?: {
        [key: string]: unknown;
      };
      /** @description Alias of `config`; both are merged, `config` winning */
      connectionConfig?: {
        [key: string]: unknown;
      };
      /**
       * @description Secrets, checked against the type's authSchema, encrypted at rest and never returned
       * @example {
       *       "password": "s3cret"
       *     }
       */
      authConfig?: {
        [key: string]: unknown;
      };
      /**
       * @description Unique within the tenant (case-insensitive)
       * @example Sales warehouse
       */
      name: string;
      /**
       * @default source
       * @enum {string}
       */
      role?: 'source' | 'destination';
      /** @example Read replica of the sales database */
      description?: string;
      /**
       * @description How the credentials authenticate (informational)
       * @example password
       */
      authMethod?: string;
    };
    TestConnectionDto: {
      /**
       * @description A connection string instead of the connection fields of config and the password (postgresql, redshift, mysql); its host, port, database, user and password are split into config and authConfig
       * @example postgresql://reader:s3cret@db.example.com:5432/sales
       */
      connection?: string;
      /** @description TLS settings for the connection-string form, only with `connection` (400 otherwise); with `config`, use `config.ssl.mode` */
      ssl?: components['schemas']['SslOptionsDto'];
      /**
       * @description A type from GET /connector-types
       * @example postgresql
       */
      type: string;
      /**
       * @description Non-secret settings, checked against the type's configSchema
       * @example {
       *       "host": "db.example.com",
       *       "port": 5432,
       *       "database": "sales",
       *       "user": "reader"
       *     }
       */
      config?: {
        [key: string]: unknown;
      };
      /** @description Alias of `config`; both are merged, `config` winning */
      connectionConfig?: {
        [key: string]: unknown;
      };
      /**
       * @description Secrets, checked against the type's authSchema, encrypted at rest and never returned
       * @example {
       *       "password": "s3cret"
       *     }
       */
      authConfig?: {
        [key: string]: unknown;
      };
    };
    ProbeDetailsDto: {
      /** @example PostgreSQL 15.19 */
      serverVersion?: string;
      /** @example sales */
      database?: string;
      /** @example 11 */
      tables?: number;
    };
    ProbeResponseDto: {
      /**
       * @description The connector tested (null for an unsaved config)
       * @example conn_4k2x9q0m1v7b3n8c
       */
      id: string | null;
      /**
       * @description Its name (null for an unsaved config)
       * @example Sales warehouse
       */
      name: string | null;
      /**
       * @description Its connector type
       * @example postgresql
       */
      type: string;
      /** @example true */
      success: boolean;
      /** @example Connected to PostgreSQL 15.19 */
      message: string;
      /**
       * @description A remark that does not fail the probe (null when none); never stored
       * @example null
       */
      warning: string | null;
      /** @example 42 */
      latencyMs: number;
      /**
       * @description The connector status after the probe (null for an unsaved config)
       * @enum {string|null}
       */
      status: 'pending' | 'pending_upload' | 'active' | 'inactive' | 'error' | null;
      /** Format: date-time */
      lastTestedAt: string | null;
      /**
       * @description Set only by a real failure
       * @example null
       */
      lastError: string | null;
      /**
       * Format: date-time
       * @description When the connector last finished a sync (null for an unsaved config or a connector never synced)
       * @example 2026-03-16T14:30:02.000Z
       */
      lastSyncAt: string | null;
      /**
       * @description Data rows of the CSV files the last sync (or upload) found; null when it found none
       * @example 18432
       */
      lastSyncRowCount: number | null;
      details: components['schemas']['ProbeDetailsDto'];
    };
    TestConnectorByIdDto: {
      /**
       * @description ID of the connector to test
       * @example conn_4k2x9q0m1v7b3n8c
       */
      id: string;
    };
    UpdateConnectorDto: {
      /**
       * @description A connection string instead of the connection fields of config and the password (postgresql, redshift, mysql); its host, port, database, user and password are split into config and authConfig
       * @example postgresql://reader:s3cret@db.example.com:5432/sales
       */
      connection?: string;
      /** @description TLS settings for the connection-string form, only with `connection` (400 otherwise); with `config`, use `config.ssl.mode` */
      ssl?: components['schemas']['SslOptionsDto'];
      /** @example Sales warehouse (replica) */
      name?: string;
      description?: string;
      /** @description Replaces the stored config when sent */
      config?: {
        [key: string]: unknown;
      };
      /** @description Alias of `config` */
      connectionConfig?: {
        [key: string]: unknown;
      };
      /** @example password */
      authMethod?: string;
      /**
       * @description Omitted: kept. `{}`: wiped. Otherwise replaced, except fields sent back as `********` (the mask), which keep their stored value. A change to a field the type lists in destinationFields (host, port, user, database, ssl.mode, ...) requires the secrets again in the same request, not the mask: 400 CREDENTIALS_REQUIRED otherwise.
       * @example {
       *       "password": "********"
       *     }
       */
      authConfig?: {
        [key: string]: unknown;
      };
      /**
       * @description `inactive` disables the connector (sync, probes and queries answer 409) until set back to `active`
       * @enum {string}
       */
      status?: 'active' | 'inactive';
    };
    ConnectorHealthDto: {
      /**
       * @example healthy
       * @enum {string}
       */
      status: 'healthy' | 'unhealthy' | 'unknown';
      /** Format: date-time */
      lastCheck: string | null;
      /** @example 42 */
      latencyMs: number | null;
    };
    ChunkInfoDto: {
      /** @enum {string} */
      mode: 'lines' | 'bytes';
      /** @example 0 */
      offset: number | null;
      /** @example 100 */
      limit: number | null;
      /**
       * @description Null for files that were never indexed (folder files)
       * @example 3504
       */
      totalLines: number | null;
      /** @example 100 */
      returnedLines?: number;
      /** @example 0 */
      bytesStart?: number;
      /** @example 8191 */
      bytesEnd?: number;
      /** @example true */
      hasMore: boolean;
      /** @description The line window reached 10 MiB; continue with a byte window */
      truncated?: boolean;
    };
    ContentResponseDto: {
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /**
       * @description Text of the window, or base64 for binary files
       * @example id,name
       *     1,Ada
       */
      content: string;
      /**
       * @description Decoder used, or base64
       * @example utf-8
       */
      encoding: string;
      /** @example text/csv */
      contentType: string;
      /**
       * @description File size in bytes (null when not known)
       * @example 1048576
       */
      totalSize: number | null;
      chunkInfo: components['schemas']['ChunkInfoDto'];
    };
    RunProgressDto: {
      /** @example 120 */
      processed: number;
      /**
       * @description Known once discovery has finished
       * @example 500
       */
      total: number | null;
      /** @example 5 */
      created: number;
      /** @example 2 */
      updated: number;
      /** @example 113 */
      unchanged: number;
      /** @example 1 */
      deleted: number;
      /** @example 0 */
      failed: number;
    };
    SyncRunResponseDto: {
      /** @example run_8f2k1m4n7b0v3c6x */
      id: string;
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /**
       * @example running
       * @enum {string}
       */
      status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
      /** @example false */
      force: boolean;
      progress: components['schemas']['RunProgressDto'];
      error: string | null;
      /**
       * @description A stop was asked for; the run ends at the next batch boundary
       * @example false
       */
      cancelRequested: boolean;
      /** Format: date-time */
      startedAt: string | null;
      /** Format: date-time */
      finishedAt: string | null;
      /** Format: date-time */
      createdAt: string;
    };
    TrainDto: {
      /**
       * @description Table or view documents of this connector to mark as trained for NL2SQL
       * @example [
       *       "doc_2v9c1x8z7m3n4b5q",
       *       "doc_7m3n4b5q2v9c1x8z"
       *     ]
       */
      documentIds: string[];
    };
    TrainResultDto: {
      /** @example doc_2v9c1x8z7m3n4b5q */
      documentId: string;
      /** @example true */
      ok: boolean;
      /**
       * @description Why the document could not be trained
       * @example null
       */
      reason: string | null;
    };
    TrainResponseDto: {
      /** @example 2 */
      trainedCount: number;
      /** @example 0 */
      failedCount: number;
      /** @description One result per requested id, in request order */
      results: components['schemas']['TrainResultDto'][];
    };
    SyncRunPageDto: {
      /** @description Items of this page */
      data: components['schemas']['SyncRunResponseDto'][];
      pagination: components['schemas']['PaginationDto'];
    };
    DocumentResponseDto: {
      /** @example doc_2v9c1x8z7m3n4b5q */
      id: string;
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /**
       * @description File path, or schema-qualified table name
       * @example public.album
       */
      externalId: string;
      /**
       * @example table
       * @enum {string}
       */
      kind: 'file' | 'table' | 'view' | 'record';
      /** @example album */
      name: string;
      path: string | null;
      /** @example text/csv */
      mimeType: string | null;
      /** @example 2048 */
      size: number | null;
      checksum: string | null;
      /**
       * @example synced
       * @enum {string}
       */
      status: 'pending' | 'queued' | 'syncing' | 'synced' | 'failed' | 'stopped' | 'deleted';
      error: string | null;
      /** @description For tables: ddl, columns, rowEstimate */
      metadata: {
        [key: string]: unknown;
      };
      /** Format: date-time */
      syncedAt: string | null;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      updatedAt: string;
    };
    DocumentPageDto: {
      /** @description Items of this page */
      data: components['schemas']['DocumentResponseDto'][];
      pagination: components['schemas']['PaginationDto'];
    };
    CreateDocumentDto: {
      /**
       * @description Unique within the connector
       * @example notes/glossary
       */
      externalId: string;
      /** @example Glossary */
      name: string;
      /**
       * @description Text of the document
       * @example ARR: annual recurring revenue
       */
      content?: string;
      /**
       * @example {
       *       "source": "wiki"
       *     }
       */
      metadata?: {
        [key: string]: unknown;
      };
    };
    UpdateDocumentDto: {
      /** @example Glossary (2027) */
      name?: string;
      /**
       * @description Replaces the text of a document added by hand
       * @example ARR: annual recurring revenue
       */
      content?: string;
      /** @description Merged into the stored metadata */
      metadata?: {
        [key: string]: unknown;
      };
    };
    WebhookReceiptDto: {
      /**
       * @description The webhook connector the records were stored for
       * @example con_01J9ZK3M4N5P6Q7R8S9T0V1W2X
       */
      connectorId: string;
      /**
       * @description Records found in the body (under config.recordsPath when set)
       * @example 3
       */
      received: number;
      /**
       * @description Records stored as new documents
       * @example 2
       */
      created: number;
      /**
       * @description Records whose document changed (same id, other content)
       * @example 1
       */
      updated: number;
      /**
       * @description Records identical to the document already stored
       * @example 0
       */
      unchanged: number;
    };
    SchemaColumnDto: {
      /** @example title */
      name: string;
      /** @example character varying(160) */
      type: string;
      /** @example false */
      nullable: boolean;
      /** @example false */
      primaryKey: boolean;
      /** @example null */
      default: string | null;
      /**
       * @description The annotation's description, else the database comment
       * @example Title as printed on the cover
       */
      description: string | null;
      /**
       * @example [
       *       "pii"
       *     ]
       */
      tags: string[];
      /** @description Instructions for NL2SQL about this column */
      context: string | null;
    };
    SchemaForeignKeyDto: {
      /** @example fk_track_album_id */
      name: string;
      /**
       * @example [
       *       "album_id"
       *     ]
       */
      columns: string[];
      /** @example public */
      referencedSchema: string | null;
      /** @example album */
      referencedTable: string;
      /**
       * @example [
       *       "album_id"
       *     ]
       */
      referencedColumns: string[];
    };
    SchemaTableDto: {
      /** @example public */
      schema: string | null;
      /** @example album */
      name: string;
      /**
       * @example table
       * @enum {string}
       */
      kind: 'table' | 'view';
      /** @example Albums of the catalog */
      description: string | null;
      /**
       * @example [
       *       "catalog"
       *     ]
       */
      tags: string[];
      /** @description Instructions for NL2SQL about this table */
      context: string | null;
      /** @example 347 */
      rowEstimate: number | null;
      /**
       * @description Marked trained with POST /connectors/{id}/train
       * @example false
       */
      trained: boolean;
      /**
       * @example [
       *       "album_id"
       *     ]
       */
      primaryKey: string[];
      columns: components['schemas']['SchemaColumnDto'][];
      foreignKeys: components['schemas']['SchemaForeignKeyDto'][];
    };
    RelationshipDto: {
      /** @example fk_track_album_id */
      name: string;
      /** @example public.track */
      fromTable: string;
      /**
       * @example [
       *       "album_id"
       *     ]
       */
      fromColumns: string[];
      /** @example public.album */
      toTable: string;
      /**
       * @example [
       *       "album_id"
       *     ]
       */
      toColumns: string[];
      /**
       * @example many_to_one
       * @enum {string}
       */
      kind: 'many_to_one';
    };
    SchemaResponseDto: {
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /**
       * @example postgresql
       * @enum {string}
       */
      dialect: 'postgresql' | 'redshift' | 'mysql' | 'sqlite';
      /** @example chinook */
      database: string;
      /** Format: date-time */
      introspectedAt: string;
      /**
       * @description SHA-256 of the introspected tables
       * @example 9f86d081884c7d65…
       */
      fingerprint: string;
      /**
       * @description Changes whenever the schema or an annotation changes: a cache key for what is built on it
       * @example 9f86d081884c7d65….3
       */
      version: string;
      /**
       * @description Older than SCHEMA_CACHE_TTL_SECONDS: served as is while a refresh runs in the background
       * @example false
       */
      stale: boolean;
      pagination: components['schemas']['PaginationDto'];
      tables: components['schemas']['SchemaTableDto'][];
      /** @description Foreign keys from or to the tables of this page */
      relationships: components['schemas']['RelationshipDto'][];
    };
    SchemaTableSummaryDto: {
      /** @example public */
      schema: string | null;
      /** @example album */
      name: string;
      /**
       * @example table
       * @enum {string}
       */
      kind: 'table' | 'view';
      /** @example 3 */
      columnCount: number;
      description: string | null;
      /** @example 347 */
      rowEstimate: number | null;
      /** @example false */
      trained: boolean;
    };
    SchemaTablesResponseDto: {
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /**
       * @example postgresql
       * @enum {string}
       */
      dialect: 'postgresql' | 'redshift' | 'mysql' | 'sqlite';
      /** @example chinook */
      database: string;
      /** Format: date-time */
      introspectedAt: string;
      /**
       * @description SHA-256 of the introspected tables
       * @example 9f86d081884c7d65…
       */
      fingerprint: string;
      /**
       * @description Changes whenever the schema or an annotation changes: a cache key for what is built on it
       * @example 9f86d081884c7d65….3
       */
      version: string;
      /**
       * @description Older than SCHEMA_CACHE_TTL_SECONDS: served as is while a refresh runs in the background
       * @example false
       */
      stale: boolean;
      pagination: components['schemas']['PaginationDto'];
      tables: components['schemas']['SchemaTableSummaryDto'][];
    };
    UpsertAnnotationDto: {
      /**
       * @description Table name, schema-qualified or bare
       * @example public.customer
       */
      table: string;
      /**
       * @description A column of the table; omit to annotate the table itself
       * @example email
       */
      column?: string;
      /**
       * @description What it holds, in words
       * @example Customer's e-mail address
       */
      description?: string;
      /**
       * @description Lower-case tags; `pii` withholds the column from viewers in NL2SQL results
       * @example [
       *       "pii"
       *     ]
       */
      tags?: string[];
      /**
       * @description Instructions for NL2SQL, e.g. how to join or filter
       * @example Join to invoice on customer_id for purchases
       */
      context?: string;
    };
    AnnotationResponseDto: {
      /** @example ann_5d8f2k1m4n7b0v3c */
      id: string;
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /** @example public.customer */
      table: string;
      /** @example email */
      column: string | null;
      description: string | null;
      /**
       * @example [
       *       "pii"
       *     ]
       */
      tags: string[];
      context: string | null;
      /**
       * @description Its table or column is gone from the database; kept until deleted, not merged
       * @example false
       */
      orphaned: boolean;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      updatedAt: string;
    };
    AnnotationListDto: {
      data: components['schemas']['AnnotationResponseDto'][];
    };
    QueryDto: {
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /** @example Which five genres have the most tracks? */
      question: string;
      /**
       * @description Let the SQL change data (admins only; 403 for others)
       * @default false
       */
      allowMutations?: boolean;
      /**
       * @description Rows returned at most (also the LIMIT the guard applies)
       * @example 100
       */
      maxRows?: number;
      /**
       * @description false: return the checked SQL without running it
       * @default true
       */
      execute?: boolean;
      /** @description Add a short answer in words, written by the LLM from a sample of the result */
      answer?: boolean;
      /** @description Add a Vega-Lite chart chosen by rule from the result columns */
      chart?: boolean;
    };
    GuardIssueDto: {
      /** @example UNKNOWN_COLUMN */
      code: string;
      /** @example Unknown column "customer.emial" */
      message: string;
      /** @example 1 */
      line?: number;
      /** @example 8 */
      column?: number;
    };
    ValidationDto: {
      /** @example true */
      ok: boolean;
      /** @example postgresql */
      dialect: string;
      /**
       * @description What runs: transpiled, with the LIMIT applied
       * @example SELECT name FROM genre LIMIT 100
       */
      normalizedSql: string;
      errors: components['schemas']['GuardIssueDto'][];
      warnings: components['schemas']['GuardIssueDto'][];
    };
    ResultColumnDto: {
      /** @example name */
      name: string;
      /** @example varchar */
      type: string;
    };
    QueryResultDto: {
      columns: components['schemas']['ResultColumnDto'][];
      /**
       * @description Rows as arrays in column order; dates as ISO strings, bytes as base64. bigint and numeric/decimal values are JSON numbers when exact (integers within ±(2^53 − 1), decimals that a double writes with the same digits) and strings otherwise, so no digit is lost
       * @example [
       *       [
       *         "Rock",
       *         1297
       *       ]
       *     ]
       */
      rows: unknown[][];
      /** @example 1 */
      rowCount: number;
      /**
       * @description The rows were cut: more rows existed than maxRows, or their values exceeded the byte budget
       * @example false
       */
      truncated: boolean;
      /**
       * @description Why the rows were cut: the row cap (maxRows) or the byte budget (RESULT_MAX_BYTES); null when not cut
       * @example null
       * @enum {string|null}
       */
      truncatedReason: 'rows' | 'bytes' | null;
      /** @example 12 */
      executionMs: number;
    };
    AttemptDto: {
      /** @example 1 */
      index: number;
      /**
       * @example llm
       * @enum {string}
       */
      source: 'llm' | 'example';
      /** @example SELECT ... */
      sql: string | null;
      /** @example false */
      validationOk: boolean;
      validationErrors: components['schemas']['GuardIssueDto'][];
      /** @example column "emial" does not exist */
      executionError: string | null;
      /** @example 840 */
      durationMs: number;
    };
    UsageDto: {
      /** @example 812 */
      promptTokens: number;
      /** @example 64 */
      completionTokens: number;
    };
    ResponseWarningDto: {
      /**
       * @example ANSWER_LLM_NOT_CONFIGURED
       * @enum {string}
       */
      code: 'ANSWER_LLM_NOT_CONFIGURED' | 'ANSWER_FAILED' | 'ANSWER_EMPTY' | 'ANSWER_NO_RESULT' | 'CHART_NO_RESULT';
      /** @example No answer in words: no LLM is configured for this tenant (PUT /settings/llm) */
      message: string;
    };
    QueryResponseDto: {
      /** @example SELECT g.name, count(*) ... */
      sql: string | null;
      validation: components['schemas']['ValidationDto'] | null;
      /** @description Null with `execute: false` */
      result: components['schemas']['QueryResultDto'] | null;
      attempts: components['schemas']['AttemptDto'][];
      /**
       * @example [
       *       "public.genre",
       *       "public.track"
       *     ]
       */
      tablesUsed: string[];
      /**
       * @description Ids of the few-shot examples in the prompt
       * @example [
       *       "ex_2k1m4n7b0v3c6x8f"
       *     ]
       */
      examplesUsed: string[];
      usage: components['schemas']['UsageDto'];
      /** @example hist_7b0v3c6x8f2k1m4n */
      historyId: string;
      /** @description With `answer: true` */
      answer?: string | null;
      /** @description With `chart: true`: a Vega-Lite spec, or null when no chart fits the result */
      chart?: {
        [key: string]: unknown;
      } | null;
      /** @description What the answer lacks and why, though the question succeeded: no answer in words (no LLM configured, the call failed) or no chart or answer because the SQL was not run. Empty when nothing is missing. */
      warnings: components['schemas']['ResponseWarningDto'][];
    };
    SqlDto: {
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /** @example SELECT name FROM genre ORDER BY name */
      sql: string;
    };
    ExplainStepDto: {
      /** @example Joins */
      title: string;
      /** @example Matches rows on `track.genre_id = genre.genre_id`. */
      body: string;
    };
    ExplainResponseDto: {
      /** @example **Sources.** Reads `track`, `genre`. */
      markdown: string;
      steps: components['schemas']['ExplainStepDto'][];
      /**
       * @description Written by the LLM, or built from the parsed SQL
       * @example structure
       * @enum {string}
       */
      source: 'llm' | 'structure';
    };
    ValidateDto: {
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /** @example SELECT name FROM genre ORDER BY name */
      sql: string;
      /**
       * @description Transpile from this dialect to the connector's first
       * @enum {string}
       */
      fromDialect?: 'postgresql' | 'redshift' | 'mysql' | 'sqlite';
    };
    ExecuteDto: {
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string;
      /** @example SELECT name FROM genre ORDER BY name */
      sql: string;
      /**
       * @description Add a Vega-Lite chart chosen by rule from the result columns
       * @default false
       */
      chart?: boolean;
      /**
       * @description Let the SQL change data (admins only)
       * @default false
       */
      allowMutations?: boolean;
      /** @example 100 */
      maxRows?: number;
    };
    ExecuteResponseDto: {
      validation: components['schemas']['ValidationDto'];
      result: components['schemas']['QueryResultDto'];
      /** @description With `chart: true`: a Vega-Lite spec, or null when no chart fits the result */
      chart?: {
        [key: string]: unknown;
      } | null;
    };
    LlmSettingsResponseDto: {
      /**
       * @description Where the settings come from: the tenant's own, the server's defaults, or none (NL2SQL answers 503)
       * @example tenant
       * @enum {string}
       */
      source: 'tenant' | 'environment' | 'none';
      /**
       * @example openai
       * @enum {string|null}
       */
      provider: 'openai' | 'anthropic' | 'ollama' | null;
      /** @example gpt-4o-mini */
      model: string | null;
      /** @example https://api.openai.com/v1 */
      baseUrl: string | null;
      /**
       * @description Whether an API key is stored (it is never returned)
       * @example true
       */
      apiKeySet: boolean;
      /** @example 0 */
      temperature: number;
      /** @example 1024 */
      maxTokens: number;
      /** @example 60000 */
      timeoutMs: number;
    };
    PutLlmSettingsDto: {
      /**
       * @description `openai` also covers any OpenAI-compatible server
       * @example openai
       * @enum {string}
       */
      provider: 'openai' | 'anthropic' | 'ollama';
      /** @example gpt-4o-mini */
      model: string;
      /**
       * Format: uri
       * @description API base URL: vLLM, LM Studio, llama.cpp, Ollama (`http://host:11434/v1` for openai, or its root for ollama)
       * @example https://api.openai.com/v1
       */
      baseUrl?: string | null;
      /**
       * @description Omitted or `********`: the stored key is kept, unless provider or baseUrl changes (then the key must be sent again: 400 CREDENTIALS_REQUIRED). A value: replaces it. null: removes it. Never returned.
       * @example sk-...
       */
      apiKey?: string | null;
      /** @example 0 */
      temperature?: number;
      /** @example 1024 */
      maxTokens?: number;
      /** @example 60000 */
      timeoutMs?: number;
    };
    ExampleResponseDto: {
      /** @example ex_7m3n4b5q2v9c1x8z */
      id: string;
      /** @example Which artists have the most albums? */
      question: string;
      /** @example SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10 */
      sql: string;
      /**
       * @example postgresql
       * @enum {string}
       */
      dialect: 'postgresql' | 'redshift' | 'mysql' | 'sqlite';
      /**
       * @example [
       *       "artists",
       *       "ranking"
       *     ]
       */
      tags: string[];
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string | null;
      /**
       * @description User who created it
       * @example usr_4k2x9q0m1v7b3n8c
       */
      createdBy: string | null;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      updatedAt: string;
    };
    ExamplePageDto: {
      /** @description Items of this page */
      data: components['schemas']['ExampleResponseDto'][];
      pagination: components['schemas']['PaginationDto'];
    };
    CreateExampleDto: {
      /**
       * @description The question in plain language
       * @example Which artists have the most albums?
       */
      question: string;
      /**
       * @description Exactly one statement that answers the question, in `dialect`
       * @example SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10
       */
      sql: string;
      /**
       * @description Dialect the SQL is written in. With `connectorId` it defaults to the connector's dialect and, when sent, must equal it; without `connectorId` it is required.
       * @example postgresql
       * @enum {string}
       */
      dialect?: 'postgresql' | 'redshift' | 'mysql' | 'sqlite';
      /**
       * @description Lower-cased and de-duplicated on save; filter the list by one with `?tag=`
       * @example [
       *       "artists",
       *       "ranking"
       *     ]
       */
      tags?: string[];
      /**
       * @description SQL connector of this tenant the example is about; its tables and columns are checked (unknown ones come back as `warnings`). Without it the example serves every connector of its dialect.
       * @example conn_4k2x9q0m1v7b3n8c
       */
      connectorId?: string;
    };
    ExampleWriteResponseDto: {
      /** @example ex_7m3n4b5q2v9c1x8z */
      id: string;
      /** @example Which artists have the most albums? */
      question: string;
      /** @example SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10 */
      sql: string;
      /**
       * @example postgresql
       * @enum {string}
       */
      dialect: 'postgresql' | 'redshift' | 'mysql' | 'sqlite';
      /**
       * @example [
       *       "artists",
       *       "ranking"
       *     ]
       */
      tags: string[];
      /** @example conn_4k2x9q0m1v7b3n8c */
      connectorId: string | null;
      /**
       * @description User who created it
       * @example usr_4k2x9q0m1v7b3n8c
       */
      createdBy: string | null;
      /** Format: date-time */
      createdAt: string;
      /** Format: date-time */
      updatedAt: string;
      /**
       * @description Tables or columns the SQL names that the connector's schema does not have (saved anyway), or why the check could not run. Empty without a connector.
       * @example [
       *       "Unknown table \"songs\""
       *     ]
       */
      warnings: string[];
    };
    UpdateExampleDto: {
      /** @example Which artists have released the most albums? */
      question?: string;
      /**
       * @description Parsed again in the resulting dialect
       * @example SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10
       */
      sql?: string;
      /**
       * @description Must equal the connector's dialect when the example has one
       * @example postgresql
       * @enum {string}
       */
      dialect?: 'postgresql' | 'redshift' | 'mysql' | 'sqlite';
      /**
       * @description Replaces the tags
       * @example [
       *       "artists"
       *     ]
       */
      tags?: string[];
      /**
       * @description Another connector of this tenant, or null to detach the example from its connector (it keeps its dialect). A new connector without `dialect` sets the connector's dialect.
       * @example conn_4k2x9q0m1v7b3n8c
       */
      connectorId?: string | null;
    };
    TokenUsageDto: {
      /** @example 812 */
      promptTokens: number;
      /** @example 64 */
      completionTokens: number;
    };
    HistoryEntryResponseDto: {
      /** @example hist_3k8m2n9b4v7c1x0z */
      id: string;
      /** Format: date-time */
      createdAt: string;
      /**
       * @description Who asked; null for an API key or a deleted user
       * @example usr_4k2x9q0m1v7b3n8c
       */
      userId: string | null;
      /**
       * @description Null once the connector is deleted
       * @example conn_4k2x9q0m1v7b3n8c
       */
      connectorId: string | null;
      /** @example How many tracks are in each genre? */
      question: string;
      /** @example SELECT g.name, COUNT(*) FROM genre g JOIN track t ON t.genre_id = g.genre_id GROUP BY g.name */
      sql: string | null;
      /**
       * @description Whether the SQL ran
       * @example true
       */
      ok: boolean;
      /** @example 25 */
      rowCount: number | null;
      /**
       * @description Why it failed
       * @example null
       */
      error: string | null;
      /** @example 840 */
      durationMs: number;
      /**
       * @description Generate-and-validate rounds it took
       * @example 1
       */
      attempts: number;
      /** @description LLM tokens the question used; null when no LLM was called */
      usage: components['schemas']['TokenUsageDto'] | null;
      /**
       * @description The example it was promoted to, or the stored example that answered it as asked, while that example exists
       * @example null
       */
      exampleId: string | null;
    };
    HistoryPageDto: {
      /** @description Items of this page */
      data: components['schemas']['HistoryEntryResponseDto'][];
      pagination: components['schemas']['PaginationDto'];
    };
    PromoteHistoryDto: {
      /**
       * @description Tags of the new example
       * @example [
       *       "genres"
       *     ]
       */
      tags?: string[];
      /**
       * @description Only needed when the entry's connector has been deleted; otherwise the connector's dialect is used
       * @enum {string}
       */
      dialect?: 'postgresql' | 'redshift' | 'mysql' | 'sqlite';
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  service_info: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "name": "sluice",
           *       "version": "0.1.0",
           *       "docs": "/docs",
           *       "openapi": "/openapi.json",
           *       "api": "/api/v1"
           *     }
           */
          'application/json': components['schemas']['ServiceInfoDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  service_metrics: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Prometheus text format */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'text/plain': string;
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Neither the scrape token nor a valid token */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "Neither the scrape token nor a valid token",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description A token of a role other than admin */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "A token of a role other than admin",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  health_live: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "status": "ok",
           *       "uptimeSeconds": 42
           *     }
           */
          'application/json': components['schemas']['LivenessResponseDto'];
        };
      };
    };
  };
  health_ready: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "status": "ok",
           *       "dependencies": {
           *         "database": {
           *           "status": "up"
           *         },
           *         "redis": {
           *           "status": "up"
           *         }
           *       }
           *     }
           */
          'application/json': components['schemas']['ReadinessResponseDto'];
        };
      };
      /** @description A dependency is down */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "A dependency is down",
           *       "code": "SERVICE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  auth_login: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "email": "admin@sluice.local",
         *       "password": "sluice-admin-password",
         *       "tenant": "Default"
         *     }
         */
        'application/json': components['schemas']['LoginDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "accessToken": "eyJhbGciOiJIUzI1NiIs...",
           *       "refreshToken": "rt_3q8Zb1x...",
           *       "tokenType": "Bearer",
           *       "expiresIn": 900,
           *       "refreshExpiresIn": 1209600,
           *       "user": {
           *         "id": "usr_2n5x8c1v4b7m0q3w",
           *         "email": "admin@sluice.local",
           *         "name": "Ada Admin"
           *       },
           *       "tenant": {
           *         "id": "ten_0f3k9q2m7x1c5v8b",
           *         "name": "Default"
           *       },
           *       "role": "admin"
           *     }
           */
          'application/json': components['schemas']['TokenResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Wrong e-mail or password (same answer for both) */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "Wrong e-mail or password (same answer for both)",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description TENANT_FORBIDDEN: the account is not a member of the tenant named */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "the account is not a member of the tenant named",
           *       "code": "TENANT_FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Too many attempts; see Retry-After */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "Too many attempts; see Retry-After",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  auth_refresh: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "refreshToken": "rt_3q8Zb1x..."
         *     }
         */
        'application/json': components['schemas']['RefreshDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "accessToken": "eyJhbGciOiJIUzI1NiIs...",
           *       "refreshToken": "rt_3q8Zb1x...",
           *       "tokenType": "Bearer",
           *       "expiresIn": 900,
           *       "refreshExpiresIn": 1209600,
           *       "user": {
           *         "id": "usr_2n5x8c1v4b7m0q3w",
           *         "email": "admin@sluice.local",
           *         "name": "Ada Admin"
           *       },
           *       "tenant": {
           *         "id": "ten_0f3k9q2m7x1c5v8b",
           *         "name": "Default"
           *       },
           *       "role": "admin"
           *     }
           */
          'application/json': components['schemas']['TokenResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Unknown, expired or already used refresh token */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "Unknown, expired or already used refresh token",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  auth_logout: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "refreshToken": "rt_3q8Zb1x..."
         *     }
         */
        'application/json': components['schemas']['RefreshDto'];
      };
    };
    responses: {
      /** @description Revoked (or already unknown) */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  auth_logoutEverywhere: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Signed out everywhere */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /**
       * @description Called with an API key (NEEDS_USER)
       *
       *     Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)
       */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Called with an API key (NEEDS_USER)\n\nNeeds one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "NEEDS_USER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  auth_me: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "user": {
           *         "id": "usr_2n5x8c1v4b7m0q3w",
           *         "email": "admin@sluice.local",
           *         "name": "Ada Admin"
           *       },
           *       "tenant": {
           *         "id": "ten_0f3k9q2m7x1c5v8b",
           *         "name": "Default"
           *       },
           *       "role": "editor",
           *       "via": "jwt",
           *       "tenants": [
           *         {
           *           "id": "ten_0f3k9q2m7x1c5v8b",
           *           "name": "Default",
           *           "role": "admin"
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['MeResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  auth_openDashboardSession: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          /** @description The session cookie */
          'Set-Cookie'?: string;
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "url": "/admin/queues",
           *       "expiresAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['DashboardSessionResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /**
       * @description Not an admin of the operator tenant (DASHBOARD_FORBIDDEN), or an API key (DASHBOARD_NEEDS_USER)
       *
       *     Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)
       */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Not an admin of the operator tenant (DASHBOARD_FORBIDDEN), or an API key (DASHBOARD_NEEDS_USER)\n\nNeeds one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "DASHBOARD_FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  auth_closeDashboardSession: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Cookie cleared */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  users_list: {
    parameters: {
      query?: {
        /** @description Page size */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
        /** @description Matches e-mail or name, case-insensitive */
        q?: string;
        role?: 'admin' | 'editor' | 'viewer';
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "usr_2n5x8c1v4b7m0q3w",
           *           "email": "erin@example.com",
           *           "name": "Erin Editor",
           *           "role": "editor",
           *           "disabled": false,
           *           "lastLoginAt": "2026-01-15T09:30:00.000Z",
           *           "createdAt": "2026-01-15T09:30:00.000Z",
           *           "updatedAt": "2026-01-15T09:30:00.000Z"
           *         }
           *       ],
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       }
           *     }
           */
          'application/json': components['schemas']['UserPageDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  users_create: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "email": "erin@example.com",
         *       "name": "Erin Editor",
         *       "password": "a-long-passphrase",
         *       "role": "editor"
         *     }
         */
        'application/json': components['schemas']['CreateUserDto'];
      };
    };
    responses: {
      /** @description The invitation, pending */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "inv_3k8v1n6b0m4x7c2z",
           *       "email": "erin@example.com",
           *       "role": "editor",
           *       "status": "pending",
           *       "createdAt": "2026-12-01T09:30:00.000Z",
           *       "expiresAt": "2026-12-15T09:30:00.000Z",
           *       "respondedAt": null
           *     }
           */
          'application/json': components['schemas']['InvitationResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Already a member of this tenant, or already invited to it */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Already a member of this tenant, or already invited to it",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  users_listInvitations: {
    parameters: {
      query?: {
        /** @description Page size */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
        /** @description Only invitations in this state */
        status?: 'pending' | 'accepted' | 'declined' | 'revoked';
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "inv_3k8v1n6b0m4x7c2z",
           *           "email": "erin@example.com",
           *           "role": "editor",
           *           "status": "pending",
           *           "createdAt": "2026-12-01T09:30:00.000Z",
           *           "expiresAt": "2026-12-15T09:30:00.000Z",
           *           "respondedAt": null
           *         }
           *       ],
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       }
           *     }
           */
          'application/json': components['schemas']['InvitationPageDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  users_revokeInvitation: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Invitation id */
        invitationId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The invitation, revoked */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "inv_3k8v1n6b0m4x7c2z",
           *       "email": "erin@example.com",
           *       "role": "editor",
           *       "status": "pending",
           *       "createdAt": "2026-12-01T09:30:00.000Z",
           *       "expiresAt": "2026-12-15T09:30:00.000Z",
           *       "respondedAt": null
           *     }
           */
          'application/json': components['schemas']['InvitationResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Already answered (INVITATION_NOT_PENDING) */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Already answered (INVITATION_NOT_PENDING)",
           *       "code": "INVITATION_NOT_PENDING",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  users_get: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description User id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "usr_2n5x8c1v4b7m0q3w",
           *       "email": "erin@example.com",
           *       "name": "Erin Editor",
           *       "role": "editor",
           *       "disabled": false,
           *       "lastLoginAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['UserResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  users_update: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description User id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "name": "Erin E.",
         *       "role": "viewer",
         *       "password": "another-long-passphrase",
         *       "disabled": false
         *     }
         */
        'application/json': components['schemas']['UpdateUserDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "usr_2n5x8c1v4b7m0q3w",
           *       "email": "erin@example.com",
           *       "name": "Erin Editor",
           *       "role": "editor",
           *       "disabled": false,
           *       "lastLoginAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['UserResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Would leave the tenant without an admin, or the account is shared */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Would leave the tenant without an admin, or the account is shared",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  users_delete: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description User id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Removed */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Would leave the tenant without an admin */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Would leave the tenant without an admin",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  invitations_listMine: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "inv_3k8v1n6b0m4x7c2z",
           *           "tenant": {
           *             "id": "ten_0f3k9q2m7x1c5v8b",
           *             "name": "Default"
           *           },
           *           "role": "editor",
           *           "status": "pending",
           *           "createdAt": "2026-12-01T09:30:00.000Z",
           *           "expiresAt": "2026-12-15T09:30:00.000Z"
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['ReceivedInvitationListDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  invitations_accept: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Invitation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The invitation, accepted */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "inv_3k8v1n6b0m4x7c2z",
           *       "tenant": {
           *         "id": "ten_0f3k9q2m7x1c5v8b",
           *         "name": "Default"
           *       },
           *       "role": "editor",
           *       "status": "pending",
           *       "createdAt": "2026-12-01T09:30:00.000Z",
           *       "expiresAt": "2026-12-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['ReceivedInvitationResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Already answered or revoked (INVITATION_NOT_PENDING), or expired (INVITATION_EXPIRED) */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Already answered or revoked (INVITATION_NOT_PENDING), or expired (INVITATION_EXPIRED)",
           *       "code": "INVITATION_NOT_PENDING",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  invitations_decline: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Invitation id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The invitation, declined */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "inv_3k8v1n6b0m4x7c2z",
           *       "tenant": {
           *         "id": "ten_0f3k9q2m7x1c5v8b",
           *         "name": "Default"
           *       },
           *       "role": "editor",
           *       "status": "pending",
           *       "createdAt": "2026-12-01T09:30:00.000Z",
           *       "expiresAt": "2026-12-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['ReceivedInvitationResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Already answered, revoked or expired */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Already answered, revoked or expired",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  apiKeys_list: {
    parameters: {
      query?: {
        /** @description Page size */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
        /** @description Include revoked keys */
        includeRevoked?: boolean;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "key_7c2v9b4n1m8x3z6q",
           *           "name": "nightly export job",
           *           "prefix": "sk_4f9a2c1e",
           *           "role": "viewer",
           *           "createdBy": "usr_2n5x8c1v4b7m0q3w",
           *           "createdAt": "2026-01-15T09:30:00.000Z",
           *           "lastUsedAt": "2026-01-15T09:30:00.000Z",
           *           "expiresAt": "2026-01-15T09:30:00.000Z",
           *           "revokedAt": "2026-01-15T09:30:00.000Z"
           *         }
           *       ],
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       }
           *     }
           */
          'application/json': components['schemas']['ApiKeyPageDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  apiKeys_create: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "name": "nightly export job",
         *       "role": "viewer",
         *       "expiresAt": "2027-01-01T00:00:00Z"
         *     }
         */
        'application/json': components['schemas']['CreateApiKeyDto'];
      };
    };
    responses: {
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "key_7c2v9b4n1m8x3z6q",
           *       "name": "nightly export job",
           *       "prefix": "sk_4f9a2c1e",
           *       "role": "viewer",
           *       "createdBy": "usr_2n5x8c1v4b7m0q3w",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "lastUsedAt": "2026-01-15T09:30:00.000Z",
           *       "expiresAt": "2026-01-15T09:30:00.000Z",
           *       "revokedAt": "2026-01-15T09:30:00.000Z",
           *       "key": "sk_4f9a2c1e0b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f"
           *     }
           */
          'application/json': components['schemas']['CreatedApiKeyResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  apiKeys_revoke: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description API key id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "key_7c2v9b4n1m8x3z6q",
           *       "name": "nightly export job",
           *       "prefix": "sk_4f9a2c1e",
           *       "role": "viewer",
           *       "createdBy": "usr_2n5x8c1v4b7m0q3w",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "lastUsedAt": "2026-01-15T09:30:00.000Z",
           *       "expiresAt": "2026-01-15T09:30:00.000Z",
           *       "revokedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['ApiKeyResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectorTypes_list: {
    parameters: {
      query?: {
        /** @description Only types of this category */
        category?: 'sql' | 'files' | 'object_storage' | 'api' | 'stream';
        /** @description Only types of this readiness */
        readiness?: 'ready' | 'coming_soon';
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "type": "postgresql",
           *           "displayName": "PostgreSQL",
           *           "category": "sql",
           *           "description": "PostgreSQL 10 or later",
           *           "capabilities": [
           *             "test",
           *             "introspect",
           *             "execute",
           *             "discover"
           *           ],
           *           "dialect": "postgresql",
           *           "readiness": "ready",
           *           "destinationFields": [
           *             "host",
           *             "port",
           *             "user",
           *             "database",
           *             "ssl.mode",
           *             "ssl.ca"
           *           ],
           *           "syncMode": "snapshot",
           *           "configSchema": {},
           *           "authSchema": {}
           *         }
           *       ],
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       }
           *     }
           */
          'application/json': components['schemas']['ConnectorTypePageDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_list: {
    parameters: {
      query?: {
        /** @description Page size */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
        type?: string;
        status?: 'pending' | 'pending_upload' | 'active' | 'inactive' | 'error';
        role?: 'source' | 'destination';
        /** @description Matches name or description, case-insensitive */
        q?: string;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "conn_4k2x9q0m1v7b3n8c",
           *           "name": "Sales warehouse",
           *           "type": "postgresql",
           *           "role": "source",
           *           "description": "Read replica of the sales database",
           *           "config": {
           *             "host": "db.example.com",
           *             "port": 5432,
           *             "database": "sales",
           *             "user": "reader"
           *           },
           *           "authMethod": "password",
           *           "authConfigured": true,
           *           "authConfig": {
           *             "password": "********"
           *           },
           *           "generatedSecrets": {
           *             "secret": "whsec_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d"
           *           },
           *           "status": "active",
           *           "managed": false,
           *           "metadata": {},
           *           "lastTestedAt": "2026-01-15T09:30:00.000Z",
           *           "lastError": null,
           *           "lastSyncAt": "2026-01-15T09:30:00.000Z",
           *           "lastSyncRowCount": 3503,
           *           "lastUsedAt": "2026-01-15T09:30:00.000Z",
           *           "createdAt": "2026-01-15T09:30:00.000Z",
           *           "updatedAt": "2026-01-15T09:30:00.000Z"
           *         }
           *       ],
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       }
           *     }
           */
          'application/json': components['schemas']['ConnectorPageDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_create: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "connection": "postgresql://reader:s3cret@db.example.com:5432/sales",
         *       "ssl": {
         *         "mode": "require"
         *       },
         *       "type": "postgresql",
         *       "config": {
         *         "host": "db.example.com",
         *         "port": 5432,
         *         "database": "sales",
         *         "user": "reader"
         *       },
         *       "connectionConfig": {},
         *       "authConfig": {
         *         "password": "s3cret"
         *       },
         *       "name": "Sales warehouse",
         *       "role": "source",
         *       "description": "Read replica of the sales database",
         *       "authMethod": "password"
         *     }
         */
        'application/json': components['schemas']['CreateConnectorDto'];
      };
    };
    responses: {
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "conn_4k2x9q0m1v7b3n8c",
           *       "name": "Sales warehouse",
           *       "type": "postgresql",
           *       "role": "source",
           *       "description": "Read replica of the sales database",
           *       "config": {
           *         "host": "db.example.com",
           *         "port": 5432,
           *         "database": "sales",
           *         "user": "reader"
           *       },
           *       "authMethod": "password",
           *       "authConfigured": true,
           *       "authConfig": {
           *         "password": "********"
           *       },
           *       "generatedSecrets": {
           *         "secret": "whsec_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d"
           *       },
           *       "status": "active",
           *       "managed": false,
           *       "metadata": {},
           *       "lastTestedAt": "2026-01-15T09:30:00.000Z",
           *       "lastError": null,
           *       "lastSyncAt": "2026-01-15T09:30:00.000Z",
           *       "lastSyncRowCount": 3503,
           *       "lastUsedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['ConnectorResponseDto'];
        };
      };
      /** @description One entry per invalid field in details */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "One entry per invalid field in details",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Name already used in this tenant */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Name already used in this tenant",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_testConnection: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "connection": "postgresql://reader:s3cret@db.example.com:5432/sales",
         *       "ssl": {
         *         "mode": "require"
         *       },
         *       "type": "postgresql",
         *       "config": {
         *         "host": "db.example.com",
         *         "port": 5432,
         *         "database": "sales",
         *         "user": "reader"
         *       },
         *       "connectionConfig": {},
         *       "authConfig": {
         *         "password": "s3cret"
         *       }
         *     }
         */
        'application/json': components['schemas']['TestConnectionDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "conn_4k2x9q0m1v7b3n8c",
           *       "name": "Sales warehouse",
           *       "type": "postgresql",
           *       "success": true,
           *       "message": "Connected to PostgreSQL 15.19",
           *       "warning": null,
           *       "latencyMs": 42,
           *       "status": "pending",
           *       "lastTestedAt": "2026-01-15T09:30:00.000Z",
           *       "lastError": null,
           *       "lastSyncAt": "2026-03-16T14:30:02.000Z",
           *       "lastSyncRowCount": 18432,
           *       "details": {
           *         "serverVersion": "PostgreSQL 15.19",
           *         "database": "sales",
           *         "tables": 11
           *       }
           *     }
           */
          'application/json': components['schemas']['ProbeResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description The address is refused by the safe-network guard */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 422,
           *       "error": "The address is refused by the safe-network guard",
           *       "code": "UNPROCESSABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "See the code",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_testById: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "id": "conn_4k2x9q0m1v7b3n8c"
         *     }
         */
        'application/json': components['schemas']['TestConnectorByIdDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "conn_4k2x9q0m1v7b3n8c",
           *       "name": "Sales warehouse",
           *       "type": "postgresql",
           *       "success": true,
           *       "message": "Connected to PostgreSQL 15.19",
           *       "warning": null,
           *       "latencyMs": 42,
           *       "status": "pending",
           *       "lastTestedAt": "2026-01-15T09:30:00.000Z",
           *       "lastError": null,
           *       "lastSyncAt": "2026-03-16T14:30:02.000Z",
           *       "lastSyncRowCount": 18432,
           *       "details": {
           *         "serverVersion": "PostgreSQL 15.19",
           *         "database": "sales",
           *         "tables": 11
           *       }
           *     }
           */
          'application/json': components['schemas']['ProbeResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Connector is inactive */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Connector is inactive",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description The address is refused by the safe-network guard */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 422,
           *       "error": "The address is refused by the safe-network guard",
           *       "code": "UNPROCESSABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "See the code",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_get: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "conn_4k2x9q0m1v7b3n8c",
           *       "name": "Sales warehouse",
           *       "type": "postgresql",
           *       "role": "source",
           *       "description": "Read replica of the sales database",
           *       "config": {
           *         "host": "db.example.com",
           *         "port": 5432,
           *         "database": "sales",
           *         "user": "reader"
           *       },
           *       "authMethod": "password",
           *       "authConfigured": true,
           *       "authConfig": {
           *         "password": "********"
           *       },
           *       "generatedSecrets": {
           *         "secret": "whsec_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d"
           *       },
           *       "status": "active",
           *       "managed": false,
           *       "metadata": {},
           *       "lastTestedAt": "2026-01-15T09:30:00.000Z",
           *       "lastError": null,
           *       "lastSyncAt": "2026-01-15T09:30:00.000Z",
           *       "lastSyncRowCount": 3503,
           *       "lastUsedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['ConnectorResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_update: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "connection": "postgresql://reader:s3cret@db.example.com:5432/sales",
         *       "ssl": {
         *         "mode": "require"
         *       },
         *       "name": "Sales warehouse (replica)",
         *       "config": {},
         *       "connectionConfig": {},
         *       "authMethod": "password",
         *       "authConfig": {
         *         "password": "********"
         *       },
         *       "status": "active"
         *     }
         */
        'application/json': components['schemas']['UpdateConnectorDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "conn_4k2x9q0m1v7b3n8c",
           *       "name": "Sales warehouse",
           *       "type": "postgresql",
           *       "role": "source",
           *       "description": "Read replica of the sales database",
           *       "config": {
           *         "host": "db.example.com",
           *         "port": 5432,
           *         "database": "sales",
           *         "user": "reader"
           *       },
           *       "authMethod": "password",
           *       "authConfigured": true,
           *       "authConfig": {
           *         "password": "********"
           *       },
           *       "generatedSecrets": {
           *         "secret": "whsec_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d"
           *       },
           *       "status": "active",
           *       "managed": false,
           *       "metadata": {},
           *       "lastTestedAt": "2026-01-15T09:30:00.000Z",
           *       "lastError": null,
           *       "lastSyncAt": "2026-01-15T09:30:00.000Z",
           *       "lastSyncRowCount": 3503,
           *       "lastUsedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['ConnectorResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Managed connector, or name taken */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Managed connector, or name taken",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_delete: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Managed connector */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Managed connector",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_test: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "conn_4k2x9q0m1v7b3n8c",
           *       "name": "Sales warehouse",
           *       "type": "postgresql",
           *       "success": true,
           *       "message": "Connected to PostgreSQL 15.19",
           *       "warning": null,
           *       "latencyMs": 42,
           *       "status": "pending",
           *       "lastTestedAt": "2026-01-15T09:30:00.000Z",
           *       "lastError": null,
           *       "lastSyncAt": "2026-03-16T14:30:02.000Z",
           *       "lastSyncRowCount": 18432,
           *       "details": {
           *         "serverVersion": "PostgreSQL 15.19",
           *         "database": "sales",
           *         "tables": 11
           *       }
           *     }
           */
          'application/json': components['schemas']['ProbeResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Connector is inactive */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Connector is inactive",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description The address is refused by the safe-network guard */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 422,
           *       "error": "The address is refused by the safe-network guard",
           *       "code": "UNPROCESSABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "See the code",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_health: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "status": "healthy",
           *       "lastCheck": "2026-01-15T09:30:00.000Z",
           *       "latencyMs": 42
           *     }
           */
          'application/json': components['schemas']['ConnectorHealthDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_upload: {
    parameters: {
      query?: {
        /** @description Name of the file (also X-File-Name) */
        fileName?: string;
      };
      header?: {
        /** @description Name of the file (or ?fileName=) */
        'X-File-Name'?: string;
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    /** @description The raw file, streamed */
    requestBody: {
      content: {
        'application/octet-stream': string;
        'text/csv': string;
        'text/plain': string;
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "conn_4k2x9q0m1v7b3n8c",
           *       "name": "Sales warehouse",
           *       "type": "postgresql",
           *       "role": "source",
           *       "description": "Read replica of the sales database",
           *       "config": {
           *         "host": "db.example.com",
           *         "port": 5432,
           *         "database": "sales",
           *         "user": "reader"
           *       },
           *       "authMethod": "password",
           *       "authConfigured": true,
           *       "authConfig": {
           *         "password": "********"
           *       },
           *       "generatedSecrets": {
           *         "secret": "whsec_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d"
           *       },
           *       "status": "active",
           *       "managed": false,
           *       "metadata": {},
           *       "lastTestedAt": "2026-01-15T09:30:00.000Z",
           *       "lastError": null,
           *       "lastSyncAt": "2026-01-15T09:30:00.000Z",
           *       "lastSyncRowCount": 3503,
           *       "lastUsedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['ConnectorResponseDto'];
        };
      };
      /** @description Not a local_file connector */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Not a local_file connector",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Connector is inactive */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Connector is inactive",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 413,
           *       "error": "See the code",
           *       "code": "PAYLOAD_TOO_LARGE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_content: {
    parameters: {
      query?: {
        /** @description For folder connectors: the file, relative to the folder */
        path?: string;
        /** @description First line of a line window, 0-based */
        offset?: number;
        /** @description Lines in the window (1 to 10,000) */
        limit?: number;
        /** @description First byte of a byte window, 0-based (not with offset/limit) */
        bytesStart?: number;
        /** @description Last byte of a byte window, inclusive (at most 10 MiB per call) */
        bytesEnd?: number;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "content": "id,name\n1,Ada\n",
           *       "encoding": "utf-8",
           *       "contentType": "text/csv",
           *       "totalSize": 1048576,
           *       "chunkInfo": {
           *         "mode": "lines",
           *         "offset": 0,
           *         "limit": 100,
           *         "totalLines": 3504,
           *         "returnedLines": 100,
           *         "bytesStart": 0,
           *         "bytesEnd": 8191,
           *         "hasMore": true
           *       }
           *     }
           */
          'application/json': components['schemas']['ContentResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No file uploaded yet (pending_upload) */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "No file uploaded yet (pending_upload)",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description PATH_OUTSIDE_FOLDER: the path leads outside the connector folder */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 422,
           *       "error": "the path leads outside the connector folder",
           *       "code": "PATH_OUTSIDE_FOLDER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_sync: {
    parameters: {
      query?: {
        /** @description Re-sync documents whose checksum did not change */
        force?: boolean;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A run was already queued or running */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "run_8f2k1m4n7b0v3c6x",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "status": "running",
           *       "force": false,
           *       "progress": {
           *         "processed": 120,
           *         "total": 500,
           *         "created": 5,
           *         "updated": 2,
           *         "unchanged": 113,
           *         "deleted": 1,
           *         "failed": 0
           *       },
           *       "error": null,
           *       "cancelRequested": false,
           *       "startedAt": "2026-01-15T09:30:00.000Z",
           *       "finishedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['SyncRunResponseDto'];
        };
      };
      /** @description A new run was queued */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "run_8f2k1m4n7b0v3c6x",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "status": "running",
           *       "force": false,
           *       "progress": {
           *         "processed": 120,
           *         "total": 500,
           *         "created": 5,
           *         "updated": 2,
           *         "unchanged": 113,
           *         "deleted": 1,
           *         "failed": 0
           *       },
           *       "error": null,
           *       "cancelRequested": false,
           *       "startedAt": "2026-01-15T09:30:00.000Z",
           *       "finishedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['SyncRunResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Connector is inactive or waits for its upload (CONNECTOR_NOT_ACTIVE); its type is coming soon (CONNECTOR_NOT_AVAILABLE); or it is a webhook connector, fed by pushes to POST /hooks/{connectorId} and never pulled (CONNECTOR_RECEIVES_PUSHES: nothing is synced and no pushed record is pruned) */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Connector is inactive or waits for its upload (CONNECTOR_NOT_ACTIVE); its type is coming soon (CONNECTOR_NOT_AVAILABLE); or it is a webhook connector, fed by pushes to POST /hooks/{connectorId} and never pulled (CONNECTOR_RECEIVES_PUSHES: nothing is synced and no pushed record is pruned)",
           *       "code": "CONNECTOR_NOT_ACTIVE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description TOO_MANY_ACTIVE_SYNCS: the tenant already has SYNC_MAX_ACTIVE_PER_TENANT syncs queued or running */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "the tenant already has SYNC_MAX_ACTIVE_PER_TENANT syncs queued or running",
           *       "code": "TOO_MANY_ACTIVE_SYNCS",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_scanFiles: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A run was already queued or running */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "run_8f2k1m4n7b0v3c6x",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "status": "running",
           *       "force": false,
           *       "progress": {
           *         "processed": 120,
           *         "total": 500,
           *         "created": 5,
           *         "updated": 2,
           *         "unchanged": 113,
           *         "deleted": 1,
           *         "failed": 0
           *       },
           *       "error": null,
           *       "cancelRequested": false,
           *       "startedAt": "2026-01-15T09:30:00.000Z",
           *       "finishedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['SyncRunResponseDto'];
        };
      };
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "run_8f2k1m4n7b0v3c6x",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "status": "running",
           *       "force": false,
           *       "progress": {
           *         "processed": 120,
           *         "total": 500,
           *         "created": 5,
           *         "updated": 2,
           *         "unchanged": 113,
           *         "deleted": 1,
           *         "failed": 0
           *       },
           *       "error": null,
           *       "cancelRequested": false,
           *       "startedAt": "2026-01-15T09:30:00.000Z",
           *       "finishedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['SyncRunResponseDto'];
        };
      };
      /** @description Not a file connector */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Not a file connector",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description TOO_MANY_ACTIVE_SYNCS: the tenant already has SYNC_MAX_ACTIVE_PER_TENANT syncs queued or running */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "the tenant already has SYNC_MAX_ACTIVE_PER_TENANT syncs queued or running",
           *       "code": "TOO_MANY_ACTIVE_SYNCS",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_runEvents: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
        runId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Events `progress` and `final`, each with a SyncRunResponseDto as its data */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example event: progress
           *     data: {"id":"run_8f2k1m4n7b0v3c6x","status":"running",...}
           *
           *     event: final
           *     data: {"id":"run_8f2k1m4n7b0v3c6x","status":"succeeded",...}
           */
          'text/event-stream': string;
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Too many open streams (TOO_MANY_STREAMS) */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "Too many open streams (TOO_MANY_STREAMS)",
           *       "code": "TOO_MANY_STREAMS",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_stop: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "run_8f2k1m4n7b0v3c6x",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "status": "running",
           *       "force": false,
           *       "progress": {
           *         "processed": 120,
           *         "total": 500,
           *         "created": 5,
           *         "updated": 2,
           *         "unchanged": 113,
           *         "deleted": 1,
           *         "failed": 0
           *       },
           *       "error": null,
           *       "cancelRequested": false,
           *       "startedAt": "2026-01-15T09:30:00.000Z",
           *       "finishedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['SyncRunResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Nothing is running */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Nothing is running",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_train: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "documentIds": [
         *         "doc_2v9c1x8z7m3n4b5q",
         *         "doc_7m3n4b5q2v9c1x8z"
         *       ]
         *     }
         */
        'application/json': components['schemas']['TrainDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "trainedCount": 2,
           *       "failedCount": 0,
           *       "results": [
           *         {
           *           "documentId": "doc_2v9c1x8z7m3n4b5q",
           *           "ok": true,
           *           "reason": null
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['TrainResponseDto'];
        };
      };
      /** @description Not a SQL connector, or an invalid body */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Not a SQL connector, or an invalid body",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_runs: {
    parameters: {
      query?: {
        /** @description Page size */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "run_8f2k1m4n7b0v3c6x",
           *           "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *           "status": "running",
           *           "force": false,
           *           "progress": {
           *             "processed": 120,
           *             "total": 500,
           *             "created": 5,
           *             "updated": 2,
           *             "unchanged": 113,
           *             "deleted": 1,
           *             "failed": 0
           *           },
           *           "error": null,
           *           "cancelRequested": false,
           *           "startedAt": "2026-01-15T09:30:00.000Z",
           *           "finishedAt": "2026-01-15T09:30:00.000Z",
           *           "createdAt": "2026-01-15T09:30:00.000Z"
           *         }
           *       ],
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       }
           *     }
           */
          'application/json': components['schemas']['SyncRunPageDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  connectors_run: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
        runId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "run_8f2k1m4n7b0v3c6x",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "status": "running",
           *       "force": false,
           *       "progress": {
           *         "processed": 120,
           *         "total": 500,
           *         "created": 5,
           *         "updated": 2,
           *         "unchanged": 113,
           *         "deleted": 1,
           *         "failed": 0
           *       },
           *       "error": null,
           *       "cancelRequested": false,
           *       "startedAt": "2026-01-15T09:30:00.000Z",
           *       "finishedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['SyncRunResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  documents_list: {
    parameters: {
      query?: {
        /** @description Page size */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
        status?: 'pending' | 'queued' | 'syncing' | 'synced' | 'failed' | 'stopped' | 'deleted';
        /** @description Matches name or path, case-insensitive */
        q?: string;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "doc_2v9c1x8z7m3n4b5q",
           *           "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *           "externalId": "public.album",
           *           "kind": "table",
           *           "name": "album",
           *           "path": null,
           *           "mimeType": "text/csv",
           *           "size": 2048,
           *           "checksum": null,
           *           "status": "synced",
           *           "error": null,
           *           "metadata": {},
           *           "syncedAt": "2026-01-15T09:30:00.000Z",
           *           "createdAt": "2026-01-15T09:30:00.000Z",
           *           "updatedAt": "2026-01-15T09:30:00.000Z"
           *         }
           *       ],
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       }
           *     }
           */
          'application/json': components['schemas']['DocumentPageDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  documents_create: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "externalId": "notes/glossary",
         *       "name": "Glossary",
         *       "content": "ARR: annual recurring revenue",
         *       "metadata": {
         *         "source": "wiki"
         *       }
         *     }
         */
        'application/json': components['schemas']['CreateDocumentDto'];
      };
    };
    responses: {
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "doc_2v9c1x8z7m3n4b5q",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "externalId": "public.album",
           *       "kind": "table",
           *       "name": "album",
           *       "path": null,
           *       "mimeType": "text/csv",
           *       "size": 2048,
           *       "checksum": null,
           *       "status": "synced",
           *       "error": null,
           *       "metadata": {},
           *       "syncedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['DocumentResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description externalId already used in this connector */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "externalId already used in this connector",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  documents_get: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
        /** @description Document id */
        docId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "doc_2v9c1x8z7m3n4b5q",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "externalId": "public.album",
           *       "kind": "table",
           *       "name": "album",
           *       "path": null,
           *       "mimeType": "text/csv",
           *       "size": 2048,
           *       "checksum": null,
           *       "status": "synced",
           *       "error": null,
           *       "metadata": {},
           *       "syncedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['DocumentResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  documents_update: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
        /** @description Document id */
        docId: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "name": "Glossary (2027)",
         *       "content": "ARR: annual recurring revenue",
         *       "metadata": {}
         *     }
         */
        'application/json': components['schemas']['UpdateDocumentDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "doc_2v9c1x8z7m3n4b5q",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "externalId": "public.album",
           *       "kind": "table",
           *       "name": "album",
           *       "path": null,
           *       "mimeType": "text/csv",
           *       "size": 2048,
           *       "checksum": null,
           *       "status": "synced",
           *       "error": null,
           *       "metadata": {},
           *       "syncedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['DocumentResponseDto'];
        };
      };
      /** @description Content of a synced document cannot be edited */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Content of a synced document cannot be edited",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  documents_delete: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
        /** @description Document id */
        docId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  documents_sync: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
        /** @description Document id */
        docId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Already queued or running */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "doc_2v9c1x8z7m3n4b5q",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "externalId": "public.album",
           *       "kind": "table",
           *       "name": "album",
           *       "path": null,
           *       "mimeType": "text/csv",
           *       "size": 2048,
           *       "checksum": null,
           *       "status": "synced",
           *       "error": null,
           *       "metadata": {},
           *       "syncedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['DocumentResponseDto'];
        };
      };
      /** @description Queued */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "doc_2v9c1x8z7m3n4b5q",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "externalId": "public.album",
           *       "kind": "table",
           *       "name": "album",
           *       "path": null,
           *       "mimeType": "text/csv",
           *       "size": 2048,
           *       "checksum": null,
           *       "status": "synced",
           *       "error": null,
           *       "metadata": {},
           *       "syncedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['DocumentResponseDto'];
        };
      };
      /** @description A document added by hand has no source */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "A document added by hand has no source",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Connector is inactive or waits for its upload */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "Connector is inactive or waits for its upload",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  documents_stop: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
        /** @description Document id */
        docId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "doc_2v9c1x8z7m3n4b5q",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "externalId": "public.album",
           *       "kind": "table",
           *       "name": "album",
           *       "path": null,
           *       "mimeType": "text/csv",
           *       "size": 2048,
           *       "checksum": null,
           *       "status": "synced",
           *       "error": null,
           *       "metadata": {},
           *       "syncedAt": "2026-01-15T09:30:00.000Z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['DocumentResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No sync of this document is queued or running */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "No sync of this document is queued or running",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  documents_content: {
    parameters: {
      query?: {
        /** @description For folder connectors: the file, relative to the folder */
        path?: string;
        /** @description First line of a line window, 0-based */
        offset?: number;
        /** @description Lines in the window (1 to 10,000) */
        limit?: number;
        /** @description First byte of a byte window, 0-based (not with offset/limit) */
        bytesStart?: number;
        /** @description Last byte of a byte window, inclusive (at most 10 MiB per call) */
        bytesEnd?: number;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
        /** @description Document id */
        docId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "content": "id,name\n1,Ada\n",
           *       "encoding": "utf-8",
           *       "contentType": "text/csv",
           *       "totalSize": 1048576,
           *       "chunkInfo": {
           *         "mode": "lines",
           *         "offset": 0,
           *         "limit": 100,
           *         "totalLines": 3504,
           *         "returnedLines": 100,
           *         "bytesStart": 0,
           *         "bytesEnd": 8191,
           *         "hasMore": true
           *       }
           *     }
           */
          'application/json': components['schemas']['ContentResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description The source no longer has this document */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "The source no longer has this document",
           *       "code": "CONFLICT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  hooks_receive: {
    parameters: {
      query?: never;
      header: {
        /** @description "sha256=" + hex HMAC-SHA256 of "{timestamp}.{raw body}" keyed with the connector's authConfig.secret */
        'X-Sluice-Signature': string;
        /** @description Unix time in seconds when the push was signed; refused more than 5 minutes from the server clock */
        'X-Sluice-Timestamp': string;
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Id of a webhook connector */
        connectorId: string;
      };
      cookie?: never;
    };
    /** @description A JSON object (one record), an array of records, or either under the connector's recordsPath */
    requestBody: {
      content: {
        'application/json': Record<string, never> | unknown[];
      };
    };
    responses: {
      /** @description The records were stored */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "connectorId": "con_01J9ZK3M4N5P6Q7R8S9T0V1W2X",
           *       "received": 3,
           *       "created": 2,
           *       "updated": 1,
           *       "unchanged": 0
           *     }
           */
          'application/json': components['schemas']['WebhookReceiptDto'];
        };
      };
      /** @description The body is not JSON, or holds no records at config.recordsPath */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "The body is not JSON, or holds no records at config.recordsPath",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description WEBHOOK_REJECTED: unknown connector, bad or missing signature, stale timestamp or replay */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "unknown connector, bad or missing signature, stale timestamp or replay",
           *       "code": "WEBHOOK_REJECTED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Body over WEBHOOK_MAX_BODY_BYTES (refused before it is read), or more than 1,000 records */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 413,
           *       "error": "Body over WEBHOOK_MAX_BODY_BYTES (refused before it is read), or more than 1,000 records",
           *       "code": "PAYLOAD_TOO_LARGE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description More than WEBHOOK_RATE_LIMIT_PER_MINUTE pushes to this connector in a minute */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "More than WEBHOOK_RATE_LIMIT_PER_MINUTE pushes to this connector in a minute",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  schema_get: {
    parameters: {
      query?: {
        /** @description Only tables whose name, columns, comments or annotations contain this text (case-insensitive) */
        q?: string;
        /** @description Only these tables: comma-separated names, schema-qualified or bare */
        tables?: string;
        /** @description Tables per page */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
        /** @description Introspect the database now instead of answering from the cache */
        refresh?: boolean;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "dialect": "postgresql",
           *       "database": "chinook",
           *       "introspectedAt": "2026-01-15T09:30:00.000Z",
           *       "fingerprint": "9f86d081884c7d65…",
           *       "version": "9f86d081884c7d65….3",
           *       "stale": false,
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       },
           *       "tables": [
           *         {
           *           "schema": "public",
           *           "name": "album",
           *           "kind": "table",
           *           "description": "Albums of the catalog",
           *           "tags": [
           *             "catalog"
           *           ],
           *           "context": null,
           *           "rowEstimate": 347,
           *           "trained": false,
           *           "primaryKey": [
           *             "album_id"
           *           ],
           *           "columns": [
           *             {
           *               "name": "title",
           *               "type": "character varying(160)",
           *               "nullable": false,
           *               "primaryKey": false,
           *               "default": null,
           *               "description": "Title as printed on the cover",
           *               "tags": [
           *                 "pii"
           *               ],
           *               "context": null
           *             }
           *           ],
           *           "foreignKeys": [
           *             {
           *               "name": "fk_track_album_id",
           *               "columns": [
           *                 "album_id"
           *               ],
           *               "referencedSchema": "public",
           *               "referencedTable": "album",
           *               "referencedColumns": [
           *                 "album_id"
           *               ]
           *             }
           *           ]
           *         }
           *       ],
           *       "relationships": [
           *         {
           *           "name": "fk_track_album_id",
           *           "fromTable": "public.track",
           *           "fromColumns": [
           *             "album_id"
           *           ],
           *           "toTable": "public.album",
           *           "toColumns": [
           *             "album_id"
           *           ],
           *           "kind": "many_to_one"
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['SchemaResponseDto'];
        };
      };
      /** @description Not a SQL connector, or a bad query */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Not a SQL connector, or a bad query",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  schema_tables: {
    parameters: {
      query?: {
        /** @description Only tables whose name, columns, comments or annotations contain this text (case-insensitive) */
        q?: string;
        /** @description Only these tables: comma-separated names, schema-qualified or bare */
        tables?: string;
        /** @description Tables per page */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "dialect": "postgresql",
           *       "database": "chinook",
           *       "introspectedAt": "2026-01-15T09:30:00.000Z",
           *       "fingerprint": "9f86d081884c7d65…",
           *       "version": "9f86d081884c7d65….3",
           *       "stale": false,
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       },
           *       "tables": [
           *         {
           *           "schema": "public",
           *           "name": "album",
           *           "kind": "table",
           *           "columnCount": 3,
           *           "description": null,
           *           "rowEstimate": 347,
           *           "trained": false
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['SchemaTablesResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  schema_annotations: {
    parameters: {
      query?: {
        /** @description Only the annotations of this table */
        table?: string;
        /** @description Only orphaned (true) or live (false) annotations */
        orphaned?: boolean;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "ann_5d8f2k1m4n7b0v3c",
           *           "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *           "table": "public.customer",
           *           "column": "email",
           *           "description": null,
           *           "tags": [
           *             "pii"
           *           ],
           *           "context": null,
           *           "orphaned": false,
           *           "createdAt": "2026-01-15T09:30:00.000Z",
           *           "updatedAt": "2026-01-15T09:30:00.000Z"
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['AnnotationListDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  schema_annotate: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "table": "public.customer",
         *       "column": "email",
         *       "description": "Customer's e-mail address",
         *       "tags": [
         *         "pii"
         *       ],
         *       "context": "Join to invoice on customer_id for purchases"
         *     }
         */
        'application/json': components['schemas']['UpsertAnnotationDto'];
      };
    };
    responses: {
      /** @description The annotation of the same target, replaced */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "ann_5d8f2k1m4n7b0v3c",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "table": "public.customer",
           *       "column": "email",
           *       "description": null,
           *       "tags": [
           *         "pii"
           *       ],
           *       "context": null,
           *       "orphaned": false,
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['AnnotationResponseDto'];
        };
      };
      /** @description A new annotation */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "ann_5d8f2k1m4n7b0v3c",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "table": "public.customer",
           *       "column": "email",
           *       "description": null,
           *       "tags": [
           *         "pii"
           *       ],
           *       "context": null,
           *       "orphaned": false,
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['AnnotationResponseDto'];
        };
      };
      /** @description Unknown table or column, or an invalid body */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Unknown table or column, or an invalid body",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  schema_deleteAnnotation: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Connector id */
        id: string;
        annotationId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  nl2sql_query: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
         *       "question": "Which five genres have the most tracks?",
         *       "allowMutations": false,
         *       "maxRows": 100,
         *       "execute": true
         *     }
         */
        'application/json': components['schemas']['QueryDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "sql": "SELECT g.name, count(*) ...",
           *       "validation": {
           *         "ok": true,
           *         "dialect": "postgresql",
           *         "normalizedSql": "SELECT name FROM genre LIMIT 100",
           *         "errors": [
           *           {
           *             "code": "UNKNOWN_COLUMN",
           *             "message": "Unknown column \"customer.emial\"",
           *             "line": 1,
           *             "column": 8
           *           }
           *         ],
           *         "warnings": [
           *           {
           *             "code": "UNKNOWN_COLUMN",
           *             "message": "Unknown column \"customer.emial\"",
           *             "line": 1,
           *             "column": 8
           *           }
           *         ]
           *       },
           *       "result": {
           *         "columns": [
           *           {
           *             "name": "name",
           *             "type": "varchar"
           *           }
           *         ],
           *         "rows": [
           *           [
           *             "Rock",
           *             1297
           *           ]
           *         ],
           *         "rowCount": 1,
           *         "truncated": false,
           *         "truncatedReason": null,
           *         "executionMs": 12
           *       },
           *       "attempts": [
           *         {
           *           "index": 1,
           *           "source": "llm",
           *           "sql": "SELECT ...",
           *           "validationOk": false,
           *           "validationErrors": [
           *             {
           *               "code": "UNKNOWN_COLUMN",
           *               "message": "Unknown column \"customer.emial\"",
           *               "line": 1,
           *               "column": 8
           *             }
           *           ],
           *           "executionError": "column \"emial\" does not exist",
           *           "durationMs": 840
           *         }
           *       ],
           *       "tablesUsed": [
           *         "public.genre",
           *         "public.track"
           *       ],
           *       "examplesUsed": [
           *         "ex_2k1m4n7b0v3c6x8f"
           *       ],
           *       "usage": {
           *         "promptTokens": 812,
           *         "completionTokens": 64
           *       },
           *       "historyId": "hist_7b0v3c6x8f2k1m4n",
           *       "answer": null,
           *       "chart": {},
           *       "warnings": [
           *         {
           *           "code": "ANSWER_LLM_NOT_CONFIGURED",
           *           "message": "No answer in words: no LLM is configured for this tenant (PUT /settings/llm)"
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['QueryResponseDto'];
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No usable SQL after the attempts */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 422,
           *       "error": "No usable SQL after the attempts",
           *       "code": "UNPROCESSABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description TOO_MANY_CONCURRENT_QUERIES: the tenant already has NL2SQL_MAX_CONCURRENT_PER_TENANT questions in flight (Retry-After) */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "the tenant already has NL2SQL_MAX_CONCURRENT_PER_TENANT questions in flight (Retry-After)",
           *       "code": "TOO_MANY_CONCURRENT_QUERIES",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description LLM_UNREACHABLE, LLM_ERROR or LLM_RESPONSE_TOO_LARGE: the LLM was refused, failed or answered too much */
      502: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 502,
           *       "error": "LLM_UNREACHABLE, LLM_ERROR or LLM_RESPONSE_TOO_LARGE: the LLM was refused, failed or answered too much",
           *       "code": "LLM_UNREACHABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description LLM_NOT_CONFIGURED, or GUARD_BUSY */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "LLM_NOT_CONFIGURED, or GUARD_BUSY",
           *       "code": "LLM_NOT_CONFIGURED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description LLM_TIMEOUT */
      504: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 504,
           *       "error": "LLM_TIMEOUT",
           *       "code": "LLM_TIMEOUT",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  nl2sql_queryStream: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
         *       "question": "Which five genres have the most tracks?",
         *       "allowMutations": false,
         *       "maxRows": 100,
         *       "execute": true
         *     }
         */
        'application/json': components['schemas']['QueryDto'];
      };
    };
    responses: {
      /** @description Events `stage` as the stages happen, then `result` (a QueryResponseDto) or `error` (an error body) */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example event: stage
           *     data: {"stage":"linking"}
           *
           *     event: stage
           *     data: {"stage":"generating","attempt":1}
           *
           *     event: result
           *     data: {"sql":"SELECT count(*) FROM album",...}
           */
          'text/event-stream': string;
        };
      };
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "See the code",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Connector not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "Connector not found",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description TOO_MANY_CONCURRENT_QUERIES: the tenant already has NL2SQL_MAX_CONCURRENT_PER_TENANT questions in flight (Retry-After) */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "the tenant already has NL2SQL_MAX_CONCURRENT_PER_TENANT questions in flight (Retry-After)",
           *       "code": "TOO_MANY_CONCURRENT_QUERIES",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  nl2sql_explain: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
         *       "sql": "SELECT name FROM genre ORDER BY name"
         *     }
         */
        'application/json': components['schemas']['SqlDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "markdown": "**Sources.** Reads `track`, `genre`.",
           *       "steps": [
           *         {
           *           "title": "Joins",
           *           "body": "Matches rows on `track.genre_id = genre.genre_id`."
           *         }
           *       ],
           *       "source": "structure"
           *     }
           */
          'application/json': components['schemas']['ExplainResponseDto'];
        };
      };
      /** @description SQL_TOO_COMPLEX: past a size limit of the guard (length, tokens, nesting) */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "past a size limit of the guard (length, tokens, nesting)",
           *       "code": "SQL_TOO_COMPLEX",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  nl2sql_validate: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
         *       "sql": "SELECT name FROM genre ORDER BY name",
         *       "fromDialect": "postgresql"
         *     }
         */
        'application/json': components['schemas']['ValidateDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "ok": true,
           *       "dialect": "postgresql",
           *       "normalizedSql": "SELECT name FROM genre LIMIT 100",
           *       "errors": [
           *         {
           *           "code": "UNKNOWN_COLUMN",
           *           "message": "Unknown column \"customer.emial\"",
           *           "line": 1,
           *           "column": 8
           *         }
           *       ],
           *       "warnings": [
           *         {
           *           "code": "UNKNOWN_COLUMN",
           *           "message": "Unknown column \"customer.emial\"",
           *           "line": 1,
           *           "column": 8
           *         }
           *       ]
           *     }
           */
          'application/json': components['schemas']['ValidationDto'];
        };
      };
      /** @description SQL_TOO_COMPLEX: past a size limit of the guard (length, tokens, nesting) or its time limit */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "past a size limit of the guard (length, tokens, nesting) or its time limit",
           *       "code": "SQL_TOO_COMPLEX",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description GUARD_BUSY: every worker of the SQL guard is busy */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "every worker of the SQL guard is busy",
           *       "code": "GUARD_BUSY",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  nl2sql_execute: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
         *       "sql": "SELECT name FROM genre ORDER BY name",
         *       "chart": false,
         *       "allowMutations": false,
         *       "maxRows": 100
         *     }
         */
        'application/json': components['schemas']['ExecuteDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "validation": {
           *         "ok": true,
           *         "dialect": "postgresql",
           *         "normalizedSql": "SELECT name FROM genre LIMIT 100",
           *         "errors": [
           *           {
           *             "code": "UNKNOWN_COLUMN",
           *             "message": "Unknown column \"customer.emial\"",
           *             "line": 1,
           *             "column": 8
           *           }
           *         ],
           *         "warnings": [
           *           {
           *             "code": "UNKNOWN_COLUMN",
           *             "message": "Unknown column \"customer.emial\"",
           *             "line": 1,
           *             "column": 8
           *           }
           *         ]
           *       },
           *       "result": {
           *         "columns": [
           *           {
           *             "name": "name",
           *             "type": "varchar"
           *           }
           *         ],
           *         "rows": [
           *           [
           *             "Rock",
           *             1297
           *           ]
           *         ],
           *         "rowCount": 1,
           *         "truncated": false,
           *         "truncatedReason": null,
           *         "executionMs": 12
           *       },
           *       "chart": {}
           *     }
           */
          'application/json': components['schemas']['ExecuteResponseDto'];
        };
      };
      /** @description SQL_TOO_COMPLEX: past a size limit of the guard (length, tokens, nesting) or its time limit */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "past a size limit of the guard (length, tokens, nesting) or its time limit",
           *       "code": "SQL_TOO_COMPLEX",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Refused by the guard, or by the database */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 422,
           *       "error": "Refused by the guard, or by the database",
           *       "code": "UNPROCESSABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description GUARD_BUSY: every worker of the SQL guard is busy */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "every worker of the SQL guard is busy",
           *       "code": "GUARD_BUSY",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  settings_getLlm: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "source": "tenant",
           *       "provider": "openai",
           *       "model": "gpt-4o-mini",
           *       "baseUrl": "https://api.openai.com/v1",
           *       "apiKeySet": true,
           *       "temperature": 0,
           *       "maxTokens": 1024,
           *       "timeoutMs": 60000
           *     }
           */
          'application/json': components['schemas']['LlmSettingsResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  settings_putLlm: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "provider": "openai",
         *       "model": "gpt-4o-mini",
         *       "baseUrl": "https://api.openai.com/v1",
         *       "apiKey": "sk-...",
         *       "temperature": 0,
         *       "maxTokens": 1024,
         *       "timeoutMs": 60000
         *     }
         */
        'application/json': components['schemas']['PutLlmSettingsDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "source": "tenant",
           *       "provider": "openai",
           *       "model": "gpt-4o-mini",
           *       "baseUrl": "https://api.openai.com/v1",
           *       "apiKeySet": true,
           *       "temperature": 0,
           *       "maxTokens": 1024,
           *       "timeoutMs": 60000
           *     }
           */
          'application/json': components['schemas']['LlmSettingsResponseDto'];
        };
      };
      /** @description Invalid settings, or CREDENTIALS_REQUIRED: provider or baseUrl changed without the apiKey */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Invalid settings, or CREDENTIALS_REQUIRED: provider or baseUrl changed without the apiKey",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  settings_deleteLlm: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Removed */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  examples_list: {
    parameters: {
      query?: {
        /** @description Page size */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
        /** @description Only examples of this connector */
        connectorId?: string;
        /** @description Only examples carrying this tag (case-insensitive) */
        tag?: string;
        /** @description Matches question or SQL, case-insensitive */
        q?: string;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "ex_7m3n4b5q2v9c1x8z",
           *           "question": "Which artists have the most albums?",
           *           "sql": "SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10",
           *           "dialect": "postgresql",
           *           "tags": [
           *             "artists",
           *             "ranking"
           *           ],
           *           "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *           "createdBy": "usr_4k2x9q0m1v7b3n8c",
           *           "createdAt": "2026-01-15T09:30:00.000Z",
           *           "updatedAt": "2026-01-15T09:30:00.000Z"
           *         }
           *       ],
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       }
           *     }
           */
          'application/json': components['schemas']['ExamplePageDto'];
        };
      };
      /** @description Invalid filter, limit or cursor */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Invalid filter, limit or cursor",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  examples_create: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "question": "Which artists have the most albums?",
         *       "sql": "SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10",
         *       "dialect": "postgresql",
         *       "tags": [
         *         "artists",
         *         "ranking"
         *       ],
         *       "connectorId": "conn_4k2x9q0m1v7b3n8c"
         *     }
         */
        'application/json': components['schemas']['CreateExampleDto'];
      };
    };
    responses: {
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "ex_7m3n4b5q2v9c1x8z",
           *       "question": "Which artists have the most albums?",
           *       "sql": "SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10",
           *       "dialect": "postgresql",
           *       "tags": [
           *         "artists",
           *         "ranking"
           *       ],
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "createdBy": "usr_4k2x9q0m1v7b3n8c",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z",
           *       "warnings": [
           *         "Unknown table \"songs\""
           *       ]
           *     }
           */
          'application/json': components['schemas']['ExampleWriteResponseDto'];
        };
      };
      /** @description Invalid field, SQL that does not parse, several statements, dialect mismatch */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Invalid field, SQL that does not parse, several statements, dialect mismatch",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Connector not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "Connector not found",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  examples_get: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Example id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "ex_7m3n4b5q2v9c1x8z",
           *       "question": "Which artists have the most albums?",
           *       "sql": "SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10",
           *       "dialect": "postgresql",
           *       "tags": [
           *         "artists",
           *         "ranking"
           *       ],
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "createdBy": "usr_4k2x9q0m1v7b3n8c",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z"
           *     }
           */
          'application/json': components['schemas']['ExampleResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  examples_update: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Example id */
        id: string;
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        /**
         * @example {
         *       "question": "Which artists have released the most albums?",
         *       "sql": "SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10",
         *       "dialect": "postgresql",
         *       "tags": [
         *         "artists"
         *       ],
         *       "connectorId": "conn_4k2x9q0m1v7b3n8c"
         *     }
         */
        'application/json': components['schemas']['UpdateExampleDto'];
      };
    };
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "ex_7m3n4b5q2v9c1x8z",
           *       "question": "Which artists have the most albums?",
           *       "sql": "SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10",
           *       "dialect": "postgresql",
           *       "tags": [
           *         "artists",
           *         "ranking"
           *       ],
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "createdBy": "usr_4k2x9q0m1v7b3n8c",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z",
           *       "warnings": [
           *         "Unknown table \"songs\""
           *       ]
           *     }
           */
          'application/json': components['schemas']['ExampleWriteResponseDto'];
        };
      };
      /** @description Invalid field, SQL that does not parse, several statements, dialect mismatch */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Invalid field, SQL that does not parse, several statements, dialect mismatch",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Example or connector not found */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "Example or connector not found",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  examples_delete: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description Example id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  history_list: {
    parameters: {
      query?: {
        /** @description Page size */
        limit?: number;
        /** @description Opaque cursor from `pagination.nextCursor` of the previous page */
        cursor?: string;
        /** @description Matches question or SQL, case-insensitive (served by a trigram index) */
        q?: string;
        /** @description Only entries of this connector */
        connectorId?: string;
        /** @description Only successful (true) or failed (false) entries */
        ok?: boolean;
      };
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "data": [
           *         {
           *           "id": "hist_3k8m2n9b4v7c1x0z",
           *           "createdAt": "2026-01-15T09:30:00.000Z",
           *           "userId": "usr_4k2x9q0m1v7b3n8c",
           *           "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *           "question": "How many tracks are in each genre?",
           *           "sql": "SELECT g.name, COUNT(*) FROM genre g JOIN track t ON t.genre_id = g.genre_id GROUP BY g.name",
           *           "ok": true,
           *           "rowCount": 25,
           *           "error": null,
           *           "durationMs": 840,
           *           "attempts": 1,
           *           "usage": {
           *             "promptTokens": 812,
           *             "completionTokens": 64
           *           },
           *           "exampleId": null
           *         }
           *       ],
           *       "pagination": {
           *         "total": 42,
           *         "limit": 20,
           *         "hasMore": true,
           *         "nextCursor": "eyJ0IjoiMjAyNi0xMS0yMlQxMjowMDowMC4wMDBaIiwiaSI6InVzcl8xMjMifQ"
           *       }
           *     }
           */
          'application/json': components['schemas']['HistoryPageDto'];
        };
      };
      /** @description Invalid filter, limit over 500 or bad cursor */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Invalid filter, limit over 500 or bad cursor",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  history_get: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description History entry id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "hist_3k8m2n9b4v7c1x0z",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "userId": "usr_4k2x9q0m1v7b3n8c",
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "question": "How many tracks are in each genre?",
           *       "sql": "SELECT g.name, COUNT(*) FROM genre g JOIN track t ON t.genre_id = g.genre_id GROUP BY g.name",
           *       "ok": true,
           *       "rowCount": 25,
           *       "error": null,
           *       "durationMs": 840,
           *       "attempts": 1,
           *       "usage": {
           *         "promptTokens": 812,
           *         "completionTokens": 64
           *       },
           *       "exampleId": null
           *     }
           */
          'application/json': components['schemas']['HistoryEntryResponseDto'];
        };
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor, viewer (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  history_delete: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description History entry id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      /** @description INVALID_TENANT_HEADER: X-Tenant-Id is not a tenant id */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "X-Tenant-Id is not a tenant id",
           *       "code": "INVALID_TENANT_HEADER",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
  history_promote: {
    parameters: {
      query?: never;
      header?: {
        /** @description Tenant to act in, when your account belongs to several */
        'X-Tenant-Id'?: string;
      };
      path: {
        /** @description History entry id */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: {
      content: {
        /**
         * @example {
         *       "tags": [
         *         "genres"
         *       ],
         *       "dialect": "postgresql"
         *     }
         */
        'application/json': components['schemas']['PromoteHistoryDto'];
      };
    };
    responses: {
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "id": "ex_7m3n4b5q2v9c1x8z",
           *       "question": "Which artists have the most albums?",
           *       "sql": "SELECT ar.name, COUNT(*) AS albums FROM artist ar JOIN album al ON al.artist_id = ar.artist_id GROUP BY ar.name ORDER BY albums DESC LIMIT 10",
           *       "dialect": "postgresql",
           *       "tags": [
           *         "artists",
           *         "ranking"
           *       ],
           *       "connectorId": "conn_4k2x9q0m1v7b3n8c",
           *       "createdBy": "usr_4k2x9q0m1v7b3n8c",
           *       "createdAt": "2026-01-15T09:30:00.000Z",
           *       "updatedAt": "2026-01-15T09:30:00.000Z",
           *       "warnings": [
           *         "Unknown table \"songs\""
           *       ]
           *     }
           */
          'application/json': components['schemas']['ExampleWriteResponseDto'];
        };
      };
      /** @description Invalid body, or the SQL does not parse in the connector's dialect */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 400,
           *       "error": "Invalid body, or the SQL does not parse in the connector's dialect",
           *       "code": "VALIDATION_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description No valid token or API key */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 401,
           *       "error": "No valid token or API key",
           *       "code": "UNAUTHORIZED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in) */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 403,
           *       "error": "Needs one of the roles: admin, editor (or TENANT_FORBIDDEN: X-Tenant-Id names a tenant the caller is not in)",
           *       "code": "FORBIDDEN",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 404,
           *       "error": "See the code",
           *       "code": "NOT_FOUND",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description HISTORY_ENTRY_FAILED, HISTORY_ENTRY_WITHOUT_SQL or HISTORY_ALREADY_PROMOTED */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 409,
           *       "error": "HISTORY_ENTRY_FAILED, HISTORY_ENTRY_WITHOUT_SQL or HISTORY_ALREADY_PROMOTED",
           *       "code": "HISTORY_ENTRY_FAILED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description RATE_LIMITED: more than RATE_LIMIT_PER_MINUTE requests a minute from this address */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 429,
           *       "error": "more than RATE_LIMIT_PER_MINUTE requests a minute from this address",
           *       "code": "RATE_LIMITED",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
      /** @description DATABASE_UNAVAILABLE: the metadata database is unreachable for a moment; retry */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          /**
           * @example {
           *       "statusCode": 503,
           *       "error": "the metadata database is unreachable for a moment; retry",
           *       "code": "DATABASE_UNAVAILABLE",
           *       "requestId": "req_9x2kq1c8v0a7"
           *     }
           */
          'application/json': components['schemas']['ErrorResponseDto'];
        };
      };
    };
  };
}
