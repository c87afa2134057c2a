/** The `:id` path parameter of every route under /history/{id}, for Swagger. */
export const HISTORY_ID_PARAM = { name: 'id', description: 'History entry id', example: 'hist_3k8m2n9b4v7c1x0z' };
