/** Something a question's answer lacks, and why: the request succeeded, but not all of it. */
export interface ResponseWarning {
  code: 'ANSWER_LLM_NOT_CONFIGURED' | 'ANSWER_FAILED' | 'ANSWER_EMPTY' | 'ANSWER_NO_RESULT' | 'CHART_NO_RESULT';
  message: string;
}
