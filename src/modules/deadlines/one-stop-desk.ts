/**
 * Who issues the procedure's slips and how the steps are named on them. The desk is the
 * provincial one-stop unit of the Department of Science and Technology of Quảng Ninh (the
 * province the product grew from, and the default tracking prefix QN). A deployment for another
 * province changes this one file (or it becomes configuration when a second province needs it).
 */
export function deskOf() {
  return { agency: { parent: 'Ủy ban nhân dân tỉnh Quảng Ninh', name: 'Sở Khoa học và Công nghệ' }, place: 'Quảng Ninh' };
}

export function procedureName(stage: string): string {
  return stage === 'investment_decision'
    ? 'Thẩm định công nghệ dự án đầu tư (giai đoạn quyết định đầu tư)'
    : 'Có ý kiến về công nghệ dự án đầu tư (giai đoạn quyết định chủ trương đầu tư)';
}

const HAND_OVERS: Record<string, { step: string; from: string; to: string }> = {
  forward_to_reviewer: { step: 'Chuyển hồ sơ đến cơ quan thẩm định', from: 'Bộ phận một cửa', to: 'Cơ quan thẩm định' },
  opinion: { step: 'Có ý kiến về công nghệ', from: 'Cơ quan thẩm định', to: 'Người có thẩm quyền' },
  appraisal: { step: 'Thẩm định công nghệ', from: 'Cơ quan thẩm định', to: 'Người có thẩm quyền' },
};

export function stepHandOver(step: string): { step: string; from: string; to: string } {
  return HAND_OVERS[step] ?? { step, from: 'Bộ phận một cửa', to: 'Cơ quan thẩm định' };
}
