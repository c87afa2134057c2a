import { OpenApiValidator } from './openapi-validator';
import { responseHooks } from './sdk-client';

// Set up for every e2e file (jest.config.js): each answer an SDK client of the tests receives is
// checked against the committed openapi.json, as HttpClient does for its own.
const validator = OpenApiValidator.fromCommittedDocument();
responseHooks.add((method, path, status, body, response) =>
  validator.assertMatches({ method, path, status, contentType: response.headers.get('content-type'), body }),
);
