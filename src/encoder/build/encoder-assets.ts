/**
 * Writes the files of a transformers.js-loadable encoder: WordPiece tokenizer over whole words,
 * a BERT-typed config, and an ONNX graph Gather → dequantize → last_hidden_state.
 */
import { DT, encodeModel } from '../../models/onnx-graph.ts';

/** Special tokens first, in this id order; their rows are zero so they never move the mean's direction. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Longest input in tokens (special tokens included); longer texts are truncated. */
export const MAX_TOKENS = 512;

/** tokenizer.json content (Hugging Face tokenizers format). */
export function tokenizerJson(words: readonly string[]): unknown {
  const vocab: Record<string, number> = {};
  SPECIAL_TOKENS.forEach((t, i) => {
    vocab[t] = i;
  });
  words.forEach((w, i) => {
    vocab[w] = SPECIAL_TOKENS.length + i;
  });
  const special = (name: (typeof SPECIAL_TOKENS)[number]) => ({
    id: name,
    ids: [SPECIAL_TOKENS.indexOf(name)],
    tokens: [name],
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** tokenizer_config.json content. */
export function tokenizerConfigJson(): unknown {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: MAX_TOKENS,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    clean_up_tokenization_spaces: true,
  };
}

/** config.json content: a BERT-typed config so transformers.js picks its BERT code path. */
export function modelConfigJson(dims: number, vocabSize: number, version: string): unknown {
  return {
    model_type: 'bert',
    architectures: ['BertModel'],
    hidden_size: dims,
    vocab_size: vocabSize,
    max_position_embeddings: MAX_TOKENS,
    num_hidden_layers: 0,
    num_attention_heads: 1,
    hearth_version: version,
  };
}

/**
 * The encoder graph: int8 rows and per-row scales gathered by `input_ids`, multiplied together
 * (dequantised) and by the attention mask so padding contributes nothing.
 */
export function encoderOnnx(
  values: Int8Array,
  scales: Float32Array,
  dims: number,
  version: string,
): Uint8Array {
  const vocab = scales.length;
  return encodeModel({
    name: 'hearth-encoder',
    inputs: [
      { name: 'input_ids', type: DT.int64, dims: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', type: DT.int64, dims: ['batch_size', 'sequence_length'] },
    ],
    outputs: [
      { name: 'last_hidden_state', type: DT.float, dims: ['batch_size', 'sequence_length', dims] },
    ],
    initializers: [
      { name: 'rows_int8', dims: [vocab, dims], data: values },
      { name: 'row_scales', dims: [vocab, 1], data: scales },
      { name: 'axis_last', dims: [1], data: new BigInt64Array([2n]) },
    ],
    nodes: [
      {
        op: 'Gather',
        inputs: ['rows_int8', 'input_ids'],
        outputs: ['gathered_int8'],
        attributes: { axis: 0 },
      },
      {
        op: 'Cast',
        inputs: ['gathered_int8'],
        outputs: ['gathered'],
        attributes: { to: DT.float },
      },
      {
        op: 'Gather',
        inputs: ['row_scales', 'input_ids'],
        outputs: ['gathered_scales'],
        attributes: { axis: 0 },
      },
      { op: 'Mul', inputs: ['gathered', 'gathered_scales'], outputs: ['dequantized'] },
      {
        op: 'Cast',
        inputs: ['attention_mask'],
        outputs: ['mask_float'],
        attributes: { to: DT.float },
      },
      { op: 'Unsqueeze', inputs: ['mask_float', 'axis_last'], outputs: ['mask_3d'] },
      { op: 'Mul', inputs: ['dequantized', 'mask_3d'], outputs: ['last_hidden_state'] },
    ],
    metadata: { hearth_version: version },
  });
}
