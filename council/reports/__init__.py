"""Reports in the formats the offices above the station file: the station's monthly work report
(议事驿站工作月报) and the people's mediation statistics table (人民调解案件统计), as XLSX."""
