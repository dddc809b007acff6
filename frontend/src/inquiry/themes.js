// The themes of the register, as the API names them (inquiry.models.Theme).
export const THEMES = ['zoning', 'density', 'equipment', 'roads', 'green', 'heritage', 'risks', 'other'];
