export * from './dto/example.dto';
export * from './example-checker';
export * from './example.service';
export * from './examples.module';
export * from './http/examples-http.module';
export * from './retrieval/example-retriever';
export * from './retrieval/text-normaliser';
