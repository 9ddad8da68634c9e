/**
 * Small helpers to write ONNX models from TypeScript with `onnx-proto`.
 * Output is deterministic: the same graph description always encodes to the same bytes.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type DataType = (typeof onnx.TensorProto.DataType)[keyof typeof onnx.TensorProto.DataType];

export const DT = {
  float: onnx.TensorProto.DataType.FLOAT,
  int8: onnx.TensorProto.DataType.INT8,
  int64: onnx.TensorProto.DataType.INT64,
} as const;

/** A constant tensor stored in the graph (weights). */
export interface Initializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | Int8Array | BigInt64Array;
}

/** One operator call. */
export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, number | readonly number[]>>;
}

/** A graph input or output; `null` dims are symbolic (named by `dimNames`). */
export interface ValueSpec {
  readonly name: string;
  readonly type: DataType;
  readonly dims: readonly (number | string)[];
}

/** The whole model. */
export interface GraphSpec {
  readonly name: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers: readonly Initializer[];
  readonly nodes: readonly NodeSpec[];
  /** Free-form key/value metadata (model version, sha of inputs). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly opset?: number;
}

function tensorOf(init: Initializer) {
  const raw = new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength);
  const dataType =
    init.data instanceof Float32Array
      ? DT.float
      : init.data instanceof Int8Array
        ? DT.int8
        : DT.int64;
  return onnx.TensorProto.create({
    name: init.name,
    dims: [...init.dims],
    dataType,
    rawData: raw,
  });
}

function valueInfo(spec: ValueSpec) {
  return onnx.ValueInfoProto.create({
    name: spec.name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: spec.type,
        shape: onnx.TensorShapeProto.create({
          dim: spec.dims.map((d) =>
            typeof d === 'number'
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function attributeOf(name: string, value: number | readonly number[]) {
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value })
      : onnx.AttributeProto.create({
          name,
          type: onnx.AttributeProto.AttributeType.FLOAT,
          f: value,
        });
  }
  return onnx.AttributeProto.create({
    name,
    type: onnx.AttributeProto.AttributeType.INTS,
    ints: [...value],
  });
}

/** Encodes a graph description as ONNX model bytes. */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: spec.name,
    input: spec.inputs.map(valueInfo),
    output: spec.outputs.map(valueInfo),
    initializer: spec.initializers.map(tensorOf),
    node: spec.nodes.map((n, i) =>
      onnx.NodeProto.create({
        name: `${n.op.toLowerCase()}_${i}`,
        opType: n.op,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attributeOf(k, v)),
      }),
    ),
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'hearth',
    producerVersion: '1',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: spec.opset ?? 17 })],
    graph,
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) =>
      onnx.StringStringEntryProto.create({ key, value }),
    ),
  });
  return onnx.ModelProto.encode(model).finish();
}
