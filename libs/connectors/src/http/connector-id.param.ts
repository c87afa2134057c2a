/** The `:id` path parameter of every route under /connectors/{id}, for Swagger. */
export const CONNECTOR_ID_PARAM = { name: 'id', description: 'Connector id', example: 'conn_4k2x9q0m1v7b3n8c' };
