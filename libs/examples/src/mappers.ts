import { ExampleEntity } from './example.entity';
import { ExampleResponseDto, ExampleWriteResponseDto } from './dto/example.dto';

export function mapExample(e: ExampleEntity): ExampleResponseDto {
  return {
    id: e.id,
    question: e.question,
    sql: e.sql,
    dialect: e.dialect,
    tags: e.tags,
    connectorId: e.connectorId,
    createdBy: e.createdBy,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export function mapWrittenExample(e: ExampleEntity, warnings: string[]): ExampleWriteResponseDto {
  return { ...mapExample(e), warnings };
}
