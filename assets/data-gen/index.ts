export {
  formatExpectedCounts,
  type GeneratedSalesCsv,
  type GenerateSalesCsvOptions,
  generateSalesCsv,
  ROWS_1X,
} from "./generate.ts";
export { HEADER, loadVocabulary, SAMPLE_PATH } from "./vocab.ts";
