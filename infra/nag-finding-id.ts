/**
 * A resolved CloudFormation value flattened the way cdk-nag names it in finding ids (`<Bucket1234.Arn>/logs/*`),
 * so an acknowledgement matches whatever bucket the construct was given: one of this app (GetAtt) or an imported one
 * (a literal ARN with a partition Ref). Mirrors cdk-nag's utils/flatten-cfn-reference.js; cdk-nag itself is not a
 * dependency of the construct library.
 */
export const flattenCfnReference = (value: unknown): string => {
  if (value === undefined) return '';
  // Fn::Sub's ${...} becomes <...>, as cdk-nag writes it
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    const join = o['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(flattenCfnReference).join(join[0]);
    }
    if ('Fn::Sub' in o) return flattenCfnReference(o['Fn::Sub']);
    const getAtt = o['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenCfnReference(getAtt[0])}.${flattenCfnReference(getAtt[1])}>`;
    if ('Fn::ImportValue' in o) return flattenCfnReference(o['Fn::ImportValue']);
    if ('Ref' in o) return `<${flattenCfnReference(o.Ref)}>`;
  }
  return JSON.stringify(value);
};
